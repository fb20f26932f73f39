//! Integration tests of the warm stage against real `redis-server` processes.

mod cluster;
mod faults;
mod load;
mod rows;
mod support;
mod tls;
