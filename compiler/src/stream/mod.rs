//! Streaming step graphs: a model whose graph computes one time step from a sample and its
//! recurrent state (`x_t, h → y_t, h_next`) compiles to a crate that keeps the state itself,
//! in a persistent, zero-initialised region of the `Model`, and feeds each next state back
//! between calls of `step`. The caller passes samples and reads per-step outputs only.
//!
//! This module decides *which* inputs are state ([`pairs`]): from `--state IN=OUT`, from the
//! naming convention (`h` → `h_next`), and by shape where that is unambiguous. Where the state
//! lives and when the next state is written back is the plan's decision (`plan::state`); the
//! `step`/`reset`/`run` API is the back end's (`back/lib_rs.rs`).

pub mod pairs;

pub use pairs::{find, Pairing};
