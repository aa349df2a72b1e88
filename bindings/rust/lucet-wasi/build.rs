// build.rs: an rpath to liblucet_wasi's directory (from lucet-wasi-sys's
// build script) for this crate's own tests and examples. A program using
// the crate does the same in its build.rs, or sets LD_LIBRARY_PATH.
fn main() {
    if let Ok(dir) = std::env::var("DEP_LUCET_WASI_LIBDIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
    }
}
