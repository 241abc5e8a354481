//! The object graph and what is computed over it: marking from the roots, dominators,
//! retained sizes, owners.

pub mod dominators;
pub mod goroutines;
pub mod marking;
pub mod owners;
pub mod retained;
