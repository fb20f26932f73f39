//! Integration tests of the graph stage: real cities against the oracle,
//! hand-made fixtures per tag rule, bad input, and the graph.ch format.

#![allow(
    clippy::unwrap_used,
    clippy::many_single_char_names,
    reason = "test helpers fail loudly; s, t, n, m are the usual graph names"
)]

mod bad_input;
mod chfile;
mod cities;
mod fixture;
mod restrictions;
mod rules;
mod turns;
mod util;
