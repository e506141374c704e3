/**
 * Images: references ({@link io.mdocker.internal.image.ImageReference}), the content store, layer
 * unpacking and image sources.
 *
 * <h2>Store layout (a contract: pulls, loads and imports all write it this way)</h2>
 * Under the state root, {@code images/} is a content store shaped like an OCI image layout:
 * <ul>
 *   <li>{@code images/blobs/sha256/<hex>}: every blob (manifests, indexes, configs, layers as
 *       compressed), named by the sha256 of its bytes in lower-case hex. A writer streams the blob
 *       into a temporary file in {@code images/blobs/tmp/}, verifies its digest (and size when
 *       known) while writing, fsyncs it, and renames it to its name; a blob that exists is
 *       complete and verified. Before writing, the writer takes an exclusive
 *       {@code FileChannel.lock} on {@code images/blobs/sha256/<hex>.lock} (created if absent, never
 *       removed while the store is in use) and checks again whether the blob exists, so that
 *       several threads or JVMs fetching the same blob write it once. Files in
 *       {@code images/blobs/tmp/} not locked by a live writer are leftovers and are removed.
 *       One class writes them, whatever the source: {@code registry.BlobStore}.</li>
 *   <li>{@code images/leases/<random>} and {@code <random>.lock}: one pair per image being added
 *       (pulled, loaded, imported), from before its first blob until its name is in
 *       {@code index.json}: the list of the blobs and layers it holds, and the lock file its
 *       writer keeps locked; a prune keeps what live leases list ({@code registry.Lease}).</li>
 *   <li>{@code images/layers/sha256/<diffhex>/}: a layer unpacked once, named by its diffID (the
 *       sha256 of the uncompressed tar); its content is the layer's tree in overlayfs form
 *       (whiteouts as 0/0 character devices, opaque directories by xattr), used read-only as an
 *       overlay lower directory. It is unpacked into {@code images/layers/tmp/<random>/} under the
 *       lock {@code images/layers/sha256/<diffhex>.lock} and renamed when complete; leftover
 *       temporary directories are removed at the next use. When their absolute paths would not
 *       fit the page of options mount(2) takes, the overlay names them relative to their common
 *       directory ({@code images/layers/sha256/}) and is mounted from there.</li>
 *   <li>{@code images/index.json}: the tags, an OCI image index whose manifests carry the
 *       canonical reference in the annotation {@code org.opencontainers.image.ref.name}
 *       ({@code docker.io/library/alpine:latest}); rewritten through a temporary file and a rename
 *       under the lock {@code images/index.lock}.</li>
 * </ul>
 */
package io.mdocker.internal.image;
