//! HTTP tests of the chronos module.
