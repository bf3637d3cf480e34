//! HTTP tests of the admin module.
