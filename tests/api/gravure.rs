//! HTTP tests of the gravure module.
