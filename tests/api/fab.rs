//! HTTP tests of the fab module.
