//! SQL of the sav module: SAV tickets, defects and their catalogues,
//! fabricants, and the order reads they need.
//!
//! Optional list filters are written `(:x IS NULL OR col = :x)`: the
//! statements stay fixed strings with every value bound, whatever filters a
//! request combines. The tables involved stay small (tickets, defects), so
//! the planner's loss is negligible.

mod b2b;
mod defauts;
mod orders;
mod tickets;

pub use b2b::*;
pub use defauts::*;
pub use orders::*;
pub use tickets::*;
