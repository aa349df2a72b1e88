//! embed-rust: embedding liblucet_wasi from Rust with the safe `lucet-wasi`
//! crate (bindings/rust; no crates.io dependency).
//!
//!     cargo build --offline && target/debug/embed-rust guest.so guest_wasi.so
//!
//! guest.so and guest_wasi.so are examples/embed-c/guest.wat and guest_wasi.c
//! compiled by lucetc. Runs a WASI program, calls exports with arguments,
//! provides a host function and handles traps; exits 0 if all behaved.
use lucet_wasi::{Error, Func, Imports, Module, Region, Wasi};
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

fn trap_line(what: &str, r: lucet_wasi::Result<i32>) {
    match r {
        Err(e) => match &e {
            Error::Trap { name, .. } => println!("{what} trapped: {name} ({})", e.code_name().unwrap_or_default()),
            _ => panic!("{what} did not trap: {e}"),
        },
        Ok(v) => panic!("{what} did not trap: returned {v}"),
    }
}

fn run(guest: &str, wasi: &str) -> lucet_wasi::Result<()> {
    let region = Region::new(2)?;
    {
        let module = Module::load(wasi)?;
        let ctx = Wasi::new()
            .arg("guest_wasi")
            .arg("from")
            .arg("Rust")
            .env("GREETING", "hello from Rust")
            .inherit_stdio();
        let mut inst = region.instance(&module, Imports::new(), Some(ctx))?;
        std::io::stdout().flush().unwrap(); // the guest writes to fd 1 directly
        match inst.call::<_, ()>("_start", ()) {
            Ok(()) => println!("wasi: _start returned"),
            Err(Error::Exit { code, killed: false }) => println!("wasi: exited with {code}"),
            Err(e) => return Err(e),
        }
    }
    let module = Module::load(guest)?;
    // The host function's state: shared with the closure.
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let mut imports = Imports::new();
    imports.func(
        "env",
        "host_scale",
        Func::wrap(move |x: i64| {
            counter.fetch_add(1, Ordering::SeqCst);
            println!("host_scale({x}) called");
            x.wrapping_mul(3)
        }),
    );
    let mut inst = region.instance(&module, imports, None)?;
    println!("add(40, 2) = {}", inst.call::<_, i32>("add", (40i32, 2i32))?);
    let r: i64 = inst.call("scale_plus_one", (14i64,))?;
    println!("scale_plus_one(14) = {r} (host calls: {})", calls.load(Ordering::SeqCst));
    trap_line("div(1, 0)", inst.call("div", (1i32, 0i32)));
    println!("after the trap, div(7, 2) = {}", inst.call::<_, i32>("div", (7i32, 2i32))?);
    trap_line("load(100000)", inst.call("load", (100000i32,)));
    // An endless guest, stopped by a kill switch from another thread.
    let ks = Arc::new(inst.kill_switch()?);
    let ks2 = ks.clone();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        ks2.terminate();
    });
    match inst.call::<_, ()>("spin", ()) {
        Err(Error::Exit { killed: true, .. }) => println!("spin() stopped by the kill switch"),
        other => panic!("spin() was not killed: {:?}", other),
    }
    killer.join().unwrap();
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: {} guest.so guest_wasi.so", args[0]);
        std::process::exit(2);
    }
    if let Err(e) = run(&args[1], &args[2]) {
        eprintln!("embed-rust: {e}");
        std::process::exit(1);
    }
    println!("embed-rust: ok");
}
