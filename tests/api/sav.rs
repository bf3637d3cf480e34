//! HTTP tests of the sav module.
