//! RSA PKCS#1 v1.5 signatures with SHA-1, for SPs that still require RSA-SHA1 (an opt-in
//! legacy setting). aws-lc-rs can verify these but offers no signing encoding for them,
//! so this one function calls the same AWS-LC library through `aws-lc-sys` (the exact
//! version aws-lc-rs links: no second crypto library is built).
#![allow(unsafe_code)] // the only unsafe code in Sesame; soundness argued below

use aws_lc_sys as sys;
use std::ptr;

/// Signs `msg` with the RSA key in `pkcs8` (PKCS#8 DER) using RSASSA-PKCS1-v1_5 over
/// SHA-1. Returns `None` if AWS-LC refuses the key or the operation.
pub(crate) fn sign(pkcs8: &[u8], msg: &[u8]) -> Option<Vec<u8>> {
    // SAFETY:
    // - `CBS_init` only stores the pointer and length of `pkcs8`, which outlives `cbs`
    //   (both live until the end of this function); `cbs` is fully initialised by it
    //   (it has two plain fields, `data` and `len`, both written).
    // - `EVP_parse_private_key` reads at most `len` bytes through the CBS and returns
    //   either null or an owned EVP_PKEY that we free exactly once on every path below.
    // - `EVP_MD_CTX_new` returns null or an owned context, freed exactly once below;
    //   `EVP_sha1` returns a pointer to a static table.
    // - `EVP_DigestSignInit` with a null `pctx`/`engine` borrows `pkey` (it takes its own
    //   reference), so freeing `pkey` after freeing `ctx` is correct in either order.
    // - `EVP_DigestSign` is first called with a null output to learn the maximum length,
    //   then with a buffer of exactly that length; it reads `msg.len()` bytes from `msg`
    //   and writes at most `len` bytes to `out`, updating `len` to the bytes written.
    unsafe {
        let mut cbs = sys::CBS {
            data: ptr::null(),
            len: 0,
        };
        sys::CBS_init(&mut cbs, pkcs8.as_ptr(), pkcs8.len());
        let pkey = sys::EVP_parse_private_key(&mut cbs);
        if pkey.is_null() {
            return None;
        }
        let ctx = sys::EVP_MD_CTX_new();
        if ctx.is_null() {
            sys::EVP_PKEY_free(pkey);
            return None;
        }
        let mut result = None;
        if sys::EVP_DigestSignInit(ctx, ptr::null_mut(), sys::EVP_sha1(), ptr::null_mut(), pkey)
            == 1
        {
            let mut len: usize = 0;
            if sys::EVP_DigestSign(ctx, ptr::null_mut(), &mut len, msg.as_ptr(), msg.len()) == 1
                && len > 0
            {
                let mut out = vec![0u8; len];
                if sys::EVP_DigestSign(ctx, out.as_mut_ptr(), &mut len, msg.as_ptr(), msg.len())
                    == 1
                {
                    out.truncate(len);
                    result = Some(out);
                }
            }
        }
        sys::EVP_MD_CTX_free(ctx);
        sys::EVP_PKEY_free(pkey);
        result
    }
}
