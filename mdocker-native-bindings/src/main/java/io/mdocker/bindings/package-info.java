/**
 * libc/Linux bindings for mdocker, in jextract's generated shape: {@link io.mdocker.bindings.Linux}
 * holds the downcalls and constants, one class per struct holds its layout and accessors.
 *
 * <p>Generated from {@code jextract/mdocker.h} and {@code jextract/includes.txt} (run
 * {@code jextract/regenerate}); never edited by hand, and checked against gcc by
 * {@code AbiProbeTest}. This file is the only hand-written one and survives regeneration.
 *
 * <p>Nothing here captures errno (jextract cannot add {@code captureCallState}): mdocker-core's
 * facade builds its own errno-capturing downcalls from {@code Linux.f$address()} and
 * {@code Linux.f$descriptor()}. The classes hold no state besides lazily linked method handles
 * and are safe to use from any thread; the memory they read and write belongs to the caller's
 * arenas.
 */
package io.mdocker.bindings;
