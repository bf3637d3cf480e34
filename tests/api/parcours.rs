//! HTTP tests of the parcours module.
