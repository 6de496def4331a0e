//! Guide chapters: how the primitives fit together beyond one type's docs.

pub mod timeouts {
    //! # Timeouts and cancellation
}
