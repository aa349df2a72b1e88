;; A WASI guest for the context's stdio and environment (test_wasi_ctx_capi.c).
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $set_flags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; Sets $fdflags.append on stdout, writes "AB" to it, checks fdstat reports
  ;; append: 0, or 1000/2000/3000 + errno, or 4000 if fdstat does not say append.
  (func (export "append") (result i32) (local $e i32)
    (local.set $e (call $set_flags (i32.const 1) (i32.const 1)))
    (if (local.get $e) (then (return (i32.add (i32.const 1000) (local.get $e)))))
    (i32.store16 (i32.const 100) (i32.const 0x4241))
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 2))
    (local.set $e (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
    (if (local.get $e) (then (return (i32.add (i32.const 2000) (local.get $e)))))
    (local.set $e (call $fdstat_get (i32.const 1) (i32.const 200)))
    (if (local.get $e) (then (return (i32.add (i32.const 3000) (local.get $e)))))
    (if (i32.eqz (i32.and (i32.load16_u (i32.const 202)) (i32.const 1))) (then (return (i32.const 4000))))
    (i32.const 0))
  ;; Reads up to 64 bytes of stdin to 100, writes them to stdout and stderr;
  ;; returns the count read (or 1000 + errno).
  (func (export "echo") (result i32) (local $e i32)
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 64))
    (local.set $e (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (local.get $e) (then (return (i32.add (i32.const 1000) (local.get $e)))))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (local.set $e (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
    (if (local.get $e) (then (return (i32.add (i32.const 2000) (local.get $e)))))
    (local.set $e (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 12)))
    (if (local.get $e) (then (return (i32.add (i32.const 3000) (local.get $e)))))
    (i32.load (i32.const 8)))
  ;; fd_write on stdin: the errno.
  (func (export "write_stdin") (result i32)
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 1))
    (call $fd_write (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 12)))
  ;; The environment's strings (NUL-terminated, in order) to stdout; returns
  ;; their total size (or 1000 + errno).
  (func (export "env") (result i32) (local $e i32)
    (local.set $e (call $environ_sizes_get (i32.const 16) (i32.const 20)))
    (if (local.get $e) (then (return (i32.add (i32.const 1000) (local.get $e)))))
    (if (i32.gt_u (i32.load (i32.const 20)) (i32.const 1024)) (then (return (i32.const 999))))
    (local.set $e (call $environ_get (i32.const 256) (i32.const 2048)))
    (if (local.get $e) (then (return (i32.add (i32.const 1000) (local.get $e)))))
    (i32.store (i32.const 0) (i32.const 2048)) (i32.store (i32.const 4) (i32.load (i32.const 20)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
    (i32.load (i32.const 20))))
