/**
 * Pulls images from registries that speak the distribution API v2 (the OCI distribution spec):
 * manifests and indexes (OCI and Docker schema 2), the platform chosen from an index, anonymous,
 * basic and bearer-token authentication, and blobs verified against their digests while they
 * stream into a content store shaped like an OCI image layout ({@code blobs/sha256/<hex>}).
 *
 * <p>Threading: a {@link io.mdocker.internal.image.registry.RegistryClient} is safe for concurrent
 * pulls; each pull downloads its layers on a small pool of its own. Two pulls of the same blob, by
 * threads of one JVM or by several JVMs on one store, download it once: {@link
 * io.mdocker.internal.image.registry.BlobStore} serialises them with an in-JVM lock and a file lock.
 * The image store writes every blob it gets from other sources through the same {@code BlobStore},
 * and keeps an image being added from a prune with a {@link io.mdocker.internal.image.registry.Lease}:
 * both live here, below the image store, so that neither package needs the other's.
 */
package io.mdocker.internal.image.registry;
