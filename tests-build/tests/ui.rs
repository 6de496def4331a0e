//! Compile-fail tests: the errors users see when they misuse a guard or a
//! primitive (auto traits, lifetimes, variance). Each `tests/ui/*.rs` must
//! fail to compile with the error recorded beside it in `*.stderr`.
//!
//! trybuild builds one throwaway project holding every case; the first run
//! compiles the library for it, which is the bulk of this test's time.

#[test]
fn compile_fail() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
