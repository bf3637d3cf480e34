//! Security primitives: roles, access tokens (JWT), password hashing, random
//! single-use tokens, secrets encrypted at rest and HMAC signatures.

pub mod account;
pub mod crypto;
pub mod jwt;
pub mod password;
pub mod roles;
pub mod tokens;

pub use roles::Role;
