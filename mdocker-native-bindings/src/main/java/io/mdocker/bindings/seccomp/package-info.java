/**
 * libseccomp bindings for mdocker, in jextract's generated shape:
 * {@link io.mdocker.bindings.seccomp.Seccomp} holds the downcalls and constants, one class per
 * struct holds its layout and accessors. The library is {@code libseccomp.so.2} (Debian:
 * libseccomp2), looked up by name when {@code Seccomp} is first used; where it is missing that
 * first use throws {@link java.lang.ExceptionInInitializerError} caused by an
 * {@link java.lang.IllegalArgumentException} naming the library.
 *
 * <p>Generated from {@code jextract/mdocker-seccomp.h} and {@code jextract/seccomp-includes.txt}
 * (run {@code jextract/regenerate}); never edited by hand, and checked against gcc by
 * {@code SeccompAbiProbeTest}. This file is the only hand-written one and survives regeneration.
 *
 * <p>libseccomp reports failures as negative errno return values, not through errno, so these
 * downcalls need no errno capture. A filter context ({@code scmp_filter_ctx}) is not thread-safe:
 * one thread builds, exports and releases it.
 */
package io.mdocker.bindings.seccomp;
