//! Helpers shared by the integration tests (`mod common;` in each file).
// Each test crate uses a subset of the helpers.
#![allow(dead_code, unused_imports)]

pub mod capture;
pub mod cli;
pub mod crash;
pub mod events;
pub mod files;
pub mod frames;
pub mod json;
pub mod netns;
pub mod python;
pub mod store;
