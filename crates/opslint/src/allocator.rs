//! The memory allocator of opslint's programs.
//!
//! The command line and the benchmark's parse-only pass allocate with
//! mimalloc: Rust's allocations through `#[global_allocator]` in their main
//! files, tree-sitter's through [`use_mimalloc_for_tree_sitter`]. In
//! alternating runs over the benchmark's 20,000-file repository on 2 cores,
//! both took about 13 % less time than with glibc's malloc (seventh round in
//! `docs/benchmarks.md`).
//!
//! mimalloc is built without transparent huge pages (`no_thp`). With them, a
//! run over about 1,100 files of public repositories peaked at 84 MiB
//! instead of 52 MiB, at the same speed.
//!
//! The library itself does not choose: tests and other programs that call
//! [`crate::run`] keep their own allocator.

use std::ffi::c_void;

/// The allocator for `#[global_allocator]`, re-exported so that programs
/// that include the command line's main file need no dependency of their own.
pub use mimalloc::MiMalloc;

/// Makes tree-sitter's C library allocate with mimalloc.
///
/// # Safety
///
/// Call it before any tree-sitter parser, tree, cursor or query exists and
/// before other threads start, as the first thing `main` does: memory that
/// tree-sitter took from one allocator must not be freed by the other.
/// Later calls do nothing.
#[allow(unsafe_code)]
pub unsafe fn use_mimalloc_for_tree_sitter() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // SAFETY: the four functions belong to mimalloc and align as malloc
        // does. They abort instead of returning null, as tree-sitter's own
        // defaults do. The caller guarantees that no tree-sitter object
        // exists yet and that no other thread runs.
        unsafe {
            tree_sitter::set_allocator(Some(tree_sitter::Allocator {
                malloc: ts_malloc,
                calloc: ts_calloc,
                realloc: ts_realloc,
                free: ts_free,
            }));
        }
    });
}

/// Aborts when an allocation of `size` bytes returned null, as
/// tree-sitter's default allocator does.
fn checked(pointer: *mut c_void, size: usize) -> *mut c_void {
    if pointer.is_null() && size != 0 {
        std::process::abort();
    }
    pointer
}

#[allow(unsafe_code)]
unsafe extern "C" fn ts_malloc(size: usize) -> *mut c_void {
    // SAFETY: mi_malloc accepts any size.
    checked(unsafe { libmimalloc_sys::mi_malloc(size) }, size)
}

#[allow(unsafe_code)]
unsafe extern "C" fn ts_calloc(count: usize, size: usize) -> *mut c_void {
    let Some(total) = count.checked_mul(size) else {
        std::process::abort();
    };
    // SAFETY: mi_zalloc accepts any size and returns zeroed memory.
    checked(unsafe { libmimalloc_sys::mi_zalloc(total) }, total)
}

#[allow(unsafe_code)]
unsafe extern "C" fn ts_realloc(pointer: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: tree-sitter passes null or a pointer these functions returned.
    checked(unsafe { libmimalloc_sys::mi_realloc(pointer, size) }, size)
}

#[allow(unsafe_code)]
unsafe extern "C" fn ts_free(pointer: *mut c_void) {
    // SAFETY: tree-sitter passes null or a pointer these functions returned.
    unsafe { libmimalloc_sys::mi_free(pointer) }
}
