//! The identity ports of `studiobrain-auth`, one module per port, each with
//! the conversions between domain values and rows.

mod api_keys;
mod connections;
mod invites;
mod one_time;
mod sessions;
mod teams;
mod tenants;
mod users;
