//! The memory allocator of opslint's programs.
//!
//! The command line and the benchmark's parse-only pass allocate with
//! mimalloc: Rust's allocations through `#[global_allocator]` in their main
//! files, tree-sitter's through [`use_mimalloc_for_tree_sitter`], in a heap
//! of their own. In alternating runs over the benchmark's 20,000-file
//! repository on 2 cores, both took about 13 % less time than with glibc's
//! malloc (seventh round in `docs/benchmarks.md`).
//!
//! mimalloc is built without transparent huge pages (`no_thp`). With them, a
//! run over about 1,100 files of public repositories peaked at 84 MiB
//! instead of 52 MiB, at the same speed. At 20,000 files (twelfth round)
//! they cut the page faults from about 42,000 to 1,000, but the run peaked
//! at 212 instead of 173 MiB and took about 10 % longer.
//!
//! The library itself does not choose: tests and other programs that call
//! [`crate::run`] keep their own allocator.

use std::ffi::c_void;
use std::sync::atomic::{AtomicPtr, Ordering};

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
        // SAFETY: mi_heap_new has no preconditions. It returns null when it
        // cannot create a heap, and the functions below then use the
        // default heap.
        let heap = unsafe { libmimalloc_sys::mi_heap_new() };
        TS_HEAP.store(heap.cast(), Ordering::Release);
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

/// The mimalloc heap for tree-sitter's allocations, kept apart from the
/// model's. A parse allocates and frees its whole tree within one file,
/// while the model built beside it stays until the rules have run. Kept
/// apart, a parse probably reuses the compact pages that the previous parse
/// freed instead of free blocks scattered between live model values. In
/// alternating runs over the benchmark's 20,000-file repository, opslint took
/// about 1.3 % less time.
static TS_HEAP: AtomicPtr<c_void> = AtomicPtr::new(std::ptr::null_mut());

/// Returns tree-sitter's heap, or `None` when it could not be created. The
/// heap came from `mi_heap_new` and is never deleted, and a mimalloc 3 heap
/// may be used from any thread.
fn ts_heap() -> Option<*mut libmimalloc_sys::mi_heap_t> {
    let heap = TS_HEAP.load(Ordering::Relaxed);
    (!heap.is_null()).then(|| heap.cast())
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
    let pointer = match ts_heap() {
        // SAFETY: mi_heap_malloc accepts any size and a heap from `ts_heap`.
        Some(heap) => unsafe { libmimalloc_sys::mi_heap_malloc(heap, size) },
        // SAFETY: mi_malloc accepts any size.
        None => unsafe { libmimalloc_sys::mi_malloc(size) },
    };
    checked(pointer, size)
}

#[allow(unsafe_code)]
unsafe extern "C" fn ts_calloc(count: usize, size: usize) -> *mut c_void {
    let Some(total) = count.checked_mul(size) else {
        std::process::abort();
    };
    let pointer = match ts_heap() {
        // SAFETY: as in `ts_malloc`. The memory is zeroed.
        Some(heap) => unsafe { libmimalloc_sys::mi_heap_zalloc(heap, total) },
        // SAFETY: mi_zalloc accepts any size and returns zeroed memory.
        None => unsafe { libmimalloc_sys::mi_zalloc(total) },
    };
    checked(pointer, total)
}

#[allow(unsafe_code)]
unsafe extern "C" fn ts_realloc(pointer: *mut c_void, size: usize) -> *mut c_void {
    let resized = match ts_heap() {
        // SAFETY: tree-sitter passes null or a pointer these functions
        // returned, and the heap is valid as in `ts_malloc`. A block that
        // moves goes to this heap.
        Some(heap) => unsafe { libmimalloc_sys::mi_heap_realloc(heap, pointer, size) },
        // SAFETY: as above.
        None => unsafe { libmimalloc_sys::mi_realloc(pointer, size) },
    };
    checked(resized, size)
}

#[allow(unsafe_code)]
unsafe extern "C" fn ts_free(pointer: *mut c_void) {
    // SAFETY: tree-sitter passes null or a pointer these functions returned.
    unsafe { libmimalloc_sys::mi_free(pointer) }
}
