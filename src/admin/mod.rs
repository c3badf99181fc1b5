//! The admin console's steps (`steps.rs`, `AdminSteps` on the `Auth` handle): find users, see one
//! with their devices and events, deactivate or activate them, change a role, sign devices out,
//! reset a lost second factor, mail a reset link; each needs recent authentication from an admin,
//! is recorded on the target's security events and in the admin audit log (`audit.rs`). The user
//! directory and the last-active-admin rule are in `directory.rs`. The API routes
//! (`api/admin.rs`), the pages (`pages/admin.rs`) and the command line call these steps.

pub mod audit;
pub mod directory;
pub mod steps;

pub use steps::{Actor, AdminSteps};
