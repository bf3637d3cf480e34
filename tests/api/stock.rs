//! HTTP tests of the stock module.
