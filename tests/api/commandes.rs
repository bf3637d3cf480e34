//! HTTP tests of the commandes module.
