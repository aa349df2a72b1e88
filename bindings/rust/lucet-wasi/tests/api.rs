//! Tests of the safe crate against the real library, the real C compiler
//! (Module::from_wasm) and real guest code (bindings/go/testdata/guest.wat,
//! compiled with wabt's wat2wasm: $WAT2WASM or PATH).
use lucet_wasi::{Error, Func, HostError, Imports, Instance, Module, Region, Val, Wasi};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};

fn tmp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("lucet-wasi-rs-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn guest_wasm() -> PathBuf {
    static INIT: Once = Once::new();
    let dir = tmp_dir();
    let wasm = dir.join("guest.wasm");
    INIT.call_once(|| {
        std::env::set_var("XDG_CACHE_HOME", dir.join("cache"));
        let wat = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../go/testdata/guest.wat");
        let tool = std::env::var("WAT2WASM").unwrap_or_else(|_| "wat2wasm".to_string());
        let st = Command::new(tool).arg(&wat).arg("-o").arg(&wasm).status().expect("cannot run wat2wasm");
        assert!(st.success(), "wat2wasm failed");
    });
    wasm
}

fn instance(region: &Region, scale: Func) -> Instance {
    let module = Module::from_wasm(guest_wasm(), 0).unwrap();
    let mut imports = Imports::new();
    imports.func("env", "host_scale", scale);
    imports.func("env", "host_f", Func::wrap(|a: f32, b: f64| a as f64 * b));
    region.instance(&module, imports, None).unwrap()
}

#[test]
fn typed_calls() {
    let region = Region::new(1).unwrap();
    let mut inst = instance(&region, Func::wrap(|x: i64| x));
    let sum: i32 = inst.call("add", (40i32, 2i32)).unwrap();
    assert_eq!(sum, 42);
    let big: i64 = inst.call("add64", (1i64 << 40, -1i64)).unwrap();
    assert_eq!(big, (1 << 40) - 1);
    let f: f64 = inst.call("mulf", (1.5f32, 4.0f64)).unwrap();
    assert_eq!(f, 6.0);
    let pair: (i32, i64) = inst.call("pair", (-3i32,)).unwrap();
    assert_eq!(pair, (-3, -3));
    assert_eq!(inst.call_vals("add", &[Val::I32(1), Val::I32(2)]).unwrap(), vec![Val::I32(3)]);
    // Wrong argument types: the C API refuses them before running.
    match inst.call::<_, i64>("add64", (1i32, 2i32)) {
        Err(Error::Api { name, .. }) => assert_eq!(name, "lucet_error_invalid_argument"),
        r => panic!("add64 with i32s: {:?}", r.map(|_| ())),
    }
    // Wrong result type: a Type error naming the values.
    match inst.call::<_, i64>("add", (1i32, 2i32)) {
        Err(Error::Type(m)) => assert!(m.contains("I32(3)"), "{}", m),
        r => panic!("add as i64: {:?}", r.map(|_| ())),
    }
    match inst.call::<_, ()>("nope", ()) {
        Err(Error::Api { name, .. }) => assert_eq!(name, "lucet_error_func_not_found"),
        r => panic!("missing export: {:?}", r),
    }
}

#[test]
fn host_functions_with_state() {
    let region = Region::new(1).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mut inst = instance(
        &region,
        Func::wrap(move |x: i64| {
            c.fetch_add(1, Ordering::SeqCst);
            x * 3
        }),
    );
    assert_eq!(inst.call::<_, i64>("scale_plus_one", (14i64,)).unwrap(), 43);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(inst.call::<_, f64>("call_f", (2.5f32, 4.0f64)).unwrap(), 10.0);
}

#[test]
fn host_error_and_panic_stop_the_guest() {
    let region = Region::new(1).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mut inst = instance(
        &region,
        Func::wrap(move |x: i64| -> Result<i64, HostError> {
            c.fetch_add(1, Ordering::SeqCst);
            match x {
                3 => Err(HostError::new("no threes")),
                1000 => panic!("host panic"),
                _ => Ok(x),
            }
        }),
    );
    match inst.call::<_, i32>("scale_loop", (100i32,)) {
        Err(Error::Host(e)) => assert_eq!(e.to_string(), "no threes"),
        r => panic!("scale_loop: {:?}", r),
    }
    // Stopped at once: 4 calls, 3 loop iterations completed.
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(inst.memory()[4], 3);
    match inst.call::<_, i64>("scale_plus_one", (1000i64,)) {
        Err(Error::Host(e)) => assert_eq!(e.to_string(), "panicked: host panic"),
        r => panic!("panic: {:?}", r),
    }
    assert_eq!(inst.call::<_, i64>("scale_plus_one", (2i64,)).unwrap(), 3);
}

#[test]
fn traps_kill_and_reset() {
    let region = Region::new(1).unwrap();
    let mut inst = instance(&region, Func::wrap(|x: i64| x));
    match inst.call::<_, i32>("div", (1i32, 0i32)) {
        Err(Error::Trap { name, .. }) => assert_eq!(name, "integer divide by zero"),
        r => panic!("div: {:?}", r),
    }
    assert_eq!(inst.call::<_, i32>("div", (7i32, 2i32)).unwrap(), 3);
    inst.memory()[8] = 7;
    assert_eq!(inst.call::<_, i32>("load", (8i32,)).unwrap(), 7);
    inst.reset().unwrap();
    assert_eq!(inst.call::<_, i32>("load", (8i32,)).unwrap(), 0);
    let ks = inst.kill_switch().unwrap();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        ks.terminate()
    });
    match inst.call::<_, ()>("spin", ()) {
        Err(Error::Exit { killed: true, .. }) => {}
        r => panic!("spin: {:?}", r),
    }
    assert!(t.join().unwrap());
}

#[test]
fn instance_errors_and_raii() {
    let region = Region::new(1).unwrap();
    let module = Module::from_wasm(guest_wasm(), 0).unwrap();
    match region.instance(&module, Imports::new(), None) {
        Err(Error::Api { name, .. }) => assert_eq!(name, "lucet_error_symbol_not_found"),
        r => panic!("no imports: {:?}", r.map(|_| ())),
    }
    {
        let _a = instance(&region, Func::wrap(|x: i64| x));
        assert_eq!(region.used().unwrap(), (1, 1));
    }
    assert_eq!(region.used().unwrap(), (0, 1)); // dropped: slot freed
    match Module::load("/nonexistent.so") {
        Err(Error::Api { name, .. }) => assert_eq!(name, "lucet_error_dl"),
        r => panic!("missing .so: {:?}", r.map(|_| ())),
    }
}

#[test]
fn wasi() {
    let so = match std::env::var("LUCET_TEST_WASI_SO") {
        Ok(s) => s,
        Err(_) => return eprintln!("LUCET_TEST_WASI_SO not set: skipped"),
    };
    let region = Region::new(1).unwrap();
    let module = Module::load(so).unwrap();
    let dir = tmp_dir();
    std::fs::write(dir.join("in.txt"), "from the host\n").unwrap();
    let wasi = Wasi::new()
        .arg("guest_wasi")
        .env("GREETING", "rust")
        .env("COPY", "/data/in.txt")
        .preopen(&dir, "/data");
    let mut inst = region.instance(&module, Imports::new(), Some(wasi)).unwrap();
    inst.call::<_, ()>("_start", ()).unwrap();
    drop(inst);
    // the guest copied the host dir's file, seen under the guest path /data
    assert_eq!(std::fs::read_to_string(dir.join("in.txt.copy")).unwrap(), "from the host\n");
    match region.instance(&module, Imports::new(), Some(Wasi::new().preopen("/nonexistent-dir", "/d"))) {
        Err(Error::Api { message, .. }) => assert!(message.contains("preopen /nonexistent-dir::/d"), "{}", message),
        r => panic!("missing preopen: {:?}", r.map(|_| ())),
    }
}

#[test]
fn introspection() {
    use lucet_wasi::{ExternKind, ExternTy, FuncType, Limits, ValType};
    let module = Module::from_wasm(guest_wasm(), 0).unwrap();
    let exports = module.exports().unwrap();
    assert_eq!(exports[0].name, "memory");
    assert_eq!(exports[0].ty, ExternTy::Memory(Limits { min: 1, max: None }));
    let find = |n: &str| exports.iter().find(|e| e.name == n).unwrap().clone();
    assert_eq!(
        find("add64").func(),
        Some(&FuncType { params: vec![ValType::I64, ValType::I64], results: vec![ValType::I64] })
    );
    assert_eq!(find("ten").func().unwrap().results.len(), 10);
    assert_eq!(find("limit").ty, ExternTy::Global { ty: ValType::I64, mutable: false });
    assert_eq!(find("tab").ty, ExternTy::Table { elem: ValType::FuncRef, limits: Limits { min: 2, max: Some(8) } });
    let imports = module.imports().unwrap();
    assert_eq!(imports.len(), 2);
    assert_eq!((imports[1].module.as_deref(), imports[1].name.as_str(), imports[1].index), (Some("env"), "host_f", 1));
    assert_eq!(imports[1].kind(), ExternKind::Func);
    assert_eq!(imports[1].func().unwrap().params, vec![ValType::F32, ValType::F64]);
    assert_eq!(module.export("tab").unwrap().unwrap().kind(), ExternKind::Table);
    assert!(module.export("missing").unwrap().is_none());
    assert!(matches!(module.export("a\0b"), Err(Error::Type(_))));
}

#[test]
fn many_results() {
    let region = Region::new(1).unwrap();
    let mut inst = instance(&region, Func::wrap(|x: i64| x));
    let r = inst.call_vals("ten", &[Val::I64(1 << 40)]).unwrap();
    assert_eq!(
        r,
        vec![
            Val::I64(1 << 40),
            Val::I32(-2),
            Val::F32(1.5),
            Val::F64(-2.25),
            Val::I32(4),
            Val::I32(5),
            Val::I32(6),
            Val::I32(7),
            Val::I32(8),
            Val::I64((1 << 40) + 1)
        ]
    );
}

#[test]
fn typed_funcs_looked_up_once() {
    let region = Region::new(2).unwrap();
    let mut inst = instance(&region, Func::wrap(|x: i64| x * 3));
    let add = inst.typed_func::<(i32, i32), i32>("add").unwrap();
    for k in 0..1000 {
        assert_eq!(add.call(&mut inst, (k, 2)).unwrap(), k + 2);
    }
    let pair = inst.typed_func::<(i32,), (i32, i64)>("pair").unwrap();
    assert_eq!(pair.call(&mut inst, (-3,)).unwrap(), (-3, -3));
    // A host function inside (host_scale: x * 3), and a trap.
    let scale = inst.typed_func::<(i64,), i64>("scale_plus_one").unwrap();
    assert_eq!(scale.call(&mut inst, (2,)).unwrap(), 7);
    let div = inst.typed_func::<(i32, i32), i32>("div").unwrap();
    match div.call(&mut inst, (1, 0)) {
        Err(Error::Trap { name, .. }) => assert_eq!(name, "integer divide by zero"),
        r => panic!("div: {:?}", r),
    }
    assert_eq!(div.call(&mut inst, (7, 2)).unwrap(), 3);
    // Types: arguments are checked by the library, results here.
    let wrong_args = inst.typed_func::<(i64, i64), i32>("add").unwrap();
    match wrong_args.call(&mut inst, (1, 2)) {
        Err(Error::Api { name, .. }) => assert_eq!(name, "lucet_error_invalid_argument"),
        r => panic!("add with i64s: {:?}", r),
    }
    let wrong_result = inst.typed_func::<(i32, i32), i64>("add").unwrap();
    assert!(matches!(wrong_result.call(&mut inst, (1, 2)), Err(Error::Type(_))));
    // More results than the stack buffer (10): the by-name path, then a Type error.
    let ten = inst.typed_func::<(i64,), (i64, i32)>("ten").unwrap();
    assert!(matches!(ten.call(&mut inst, (1,)), Err(Error::Type(_))));
    // Lookup errors: no such export, not a function.
    assert!(inst.typed_func::<(), ()>("nope").is_err());
    assert!(inst.typed_func::<(), ()>("limit").is_err());
    // Another instance: refused; a dropped one: the library refuses the handle.
    let mut other = instance(&region, Func::wrap(|x: i64| x));
    match add.call(&mut other, (1, 2)) {
        Err(Error::Type(m)) => assert!(m.contains("another instance"), "{}", m),
        r => panic!("add on another instance: {:?}", r),
    }
    let other_add = other.typed_func::<(i32, i32), i32>("add").unwrap();
    assert_eq!(other_add.call(&mut other, (5, 6)).unwrap(), 11);
    drop(other);
    let mut third = instance(&region, Func::wrap(|x: i64| x));
    assert!(other_add.call(&mut third, (5, 6)).is_err());
    // The speed it is for (printed, not asserted: a shared machine).
    let n = 200_000;
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        add.call(&mut inst, (1, 2)).unwrap();
    }
    let t1 = std::time::Instant::now();
    for _ in 0..n {
        let _: i32 = inst.call("add", (1, 2)).unwrap();
    }
    let t2 = std::time::Instant::now();
    eprintln!(
        "add(i32,i32): TypedFunc::call {:.1} ns, Instance::call by name {:.1} ns",
        (t1 - t0).as_nanos() as f64 / n as f64,
        (t2 - t1).as_nanos() as f64 / n as f64
    );
}
