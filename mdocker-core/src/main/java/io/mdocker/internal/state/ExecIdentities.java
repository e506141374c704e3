package io.mdocker.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The identity records of exec ({@link ExecRecord#identity()}), kept once per run root in
 * {@code <run root>/exec-identities/<sha256>}, shared by every container with the same security
 * settings and named by that hash in their state records ({@code exec.identity}).
 *
 * <p>Recovery prunes them ({@link #prune}): a file goes when no record names it and it has not
 * been used for {@link #GRACE}. A file's modification time says when it was last used: a JVM
 * that names a file in a new record sets it to now before the record is written (once per
 * {@link #REFRESH} and file at most, so that the start path rarely pays for it). A starting
 * container of another JVM whose record is not there yet therefore names a file used less than
 * {@code REFRESH} before, never one of those pruned, as long as its start takes less than
 * {@code GRACE - REFRESH} from the use to its record: the record's lock cannot help here, a
 * record that does not exist yet has none. The pruner compares the time with the file first
 * renamed out of the way (under a name of its own), so that a use in between is seen: the file
 * is then put back; a use after the rename finds no file and writes it again.
 */
final class ExecIdentities {
    /** How long an identity file no record names is kept after its last use. */
    static final Duration GRACE = Duration.ofMinutes(10);
    /** How often a JVM marks a file it keeps using as used. */
    static final Duration REFRESH = Duration.ofMinutes(1);

    private static final String DIR = "exec-identities";
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
    /** A file being written ({@code <hash>.new-<pid>-<thread>}) or pruned ({@code <hash>.gc-<pid>}). */
    private static final Pattern TEMPORARY = Pattern.compile("([0-9a-f]{64})\\.(new|gc)-[0-9-]+");
    /** The memo of a name ({@link #store}) and one being written ({@code .memo-<pid>-<thread>}). */
    private static final String MEMO_PREFIX = "memo-";
    private static final String MEMO_TEMPORARY_PREFIX = ".memo-";
    /** The files this JVM has used, with when it last marked them used (System.nanoTime()). */
    private static final Map<Path, Long> USED = new ConcurrentHashMap<>();

    private ExecIdentities() {}

    /** Where the identity files of {@code runRoot} are. */
    static Path dir(Path runRoot) {
        return runRoot.resolve(DIR);
    }

    /**
     * Stores {@code identity} under {@code runRoot} unless it is there, marks it used, and
     * returns its name (its SHA-256).
     *
     * <p>The name comes without computing a SHA-256 where it is known: this JVM's last identity,
     * or the run root's memo of these bytes ({@code memo-<CRC-32C>-<length>}, holding the name of an
     * identity file with that checksum and length), taken when the file it names holds exactly
     * these bytes. A file's name is the SHA-256 of its bytes however it was found, so a name taken
     * so is the one a digest would give. What this saves is a one-shot JVM's (a CLI command's, an
     * OCI runtime's {@code create}) set-up of java.security's providers, ~35 ms from the AOT cache
     * (docs/bench/cli.md); a new identity is digested, and its memo written.
     */
    static String store(Path runRoot, byte[] identity) {
        String hash = known(runRoot, identity);
        if (hash == null) {
            hash = sha256(identity);
            remember(runRoot, identity, hash);
        }
        Path file = dir(runRoot).resolve(hash);
        Long last = USED.get(file);
        long now = System.nanoTime();
        if (last != null && now - last < REFRESH.toNanos()) {
            return hash;
        }
        try {
            Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
        } catch (NoSuchFileException e) {
            write(file, identity);
        } catch (IOException e) {
            throw new UncheckedIOException("marking " + file + " used: " + e.getMessage(), e);
        }
        USED.put(file, now);
        return hash;
    }

    /** The last identity this JVM stored, with its name. */
    private record Last(byte[] identity, String hash) {
    }

    private static volatile Last last;

    /** The name of {@code identity} when it is known (see {@link #store}), else null. */
    private static String known(Path runRoot, byte[] identity) {
        Last l = last;
        if (l != null && Arrays.equals(l.identity(), identity)) {
            return l.hash();
        }
        Path dir = dir(runRoot);
        try {
            String hash = Files.readString(dir.resolve(memoName(identity)), StandardCharsets.US_ASCII);
            if (HASH.matcher(hash).matches() && Arrays.equals(Files.readAllBytes(dir.resolve(hash)), identity)) {
                last = new Last(identity.clone(), hash);
                return hash;
            }
        } catch (IOException | RuntimeException e) {
            // no memo, or its file is gone: digested
        }
        return null;
    }

    /** Writes the memo of {@code identity}'s name (best effort: without it the next JVM digests). */
    private static void remember(Path runRoot, byte[] identity, String hash) {
        last = new Last(identity.clone(), hash);
        Path dir = dir(runRoot);
        Path tmp = dir.resolve(MEMO_TEMPORARY_PREFIX + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId());
        try {
            Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            Files.deleteIfExists(tmp);
            Files.write(Files.createFile(tmp, StateRoots.privateFile()), hash.getBytes(StandardCharsets.US_ASCII));
            Files.move(tmp, dir.resolve(memoName(identity)), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(tmp);
        }
    }

    /** {@code memo-<CRC-32C, 8 hex>-<length>}: bytes with another checksum or length never share a memo. */
    static String memoName(byte[] identity) {
        CRC32C crc = new CRC32C();
        crc.update(identity);
        return MEMO_PREFIX + HexFormat.of().toHexDigits((int) crc.getValue()) + "-" + identity.length;
    }

    private static void write(Path file, byte[] identity) {
        Path tmp = file.resolveSibling(file.getFileName() + ".new-" + ProcessHandle.current().pid() + "-"
                + Thread.currentThread().threadId());
        try {
            Files.createDirectories(file.getParent(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            try (var ch = Files.newByteChannel(tmp, Set.of(java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE), StateRoots.privateFile())) { // 0600
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(identity);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE); // the same bytes, whoever wins
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("writing " + file + ": " + e.getMessage(), e);
        }
    }

    /** The identity records named {@code hash}, checked against it; {@code stateFile} named them. */
    static byte[] read(Path runRoot, String hash, Path stateFile) {
        if (!HASH.matcher(hash).matches()) {
            throw new IllegalArgumentException("exec.identity " + hash + " is not a SHA-256");
        }
        Path file = dir(runRoot).resolve(hash);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalStateException(stateFile + " names " + file + ", which cannot be read: " + e.getMessage(), e);
        }
        if (!sha256(bytes).equals(hash)) {
            throw new IllegalStateException(file + " does not hold what its name says (SHA-256 " + sha256(bytes) + ")");
        }
        return bytes;
    }

    /**
     * Removes the identity files under {@code runRoot} that {@code named} does not hold and that
     * were last used before {@code usedBefore}, and what dead writers and pruners left. The
     * caller lists the records for {@code named} after it took the time {@code usedBefore} is
     * derived from. Returns the hashes of the files removed.
     */
    static List<String> prune(Path runRoot, Set<String> named, Instant usedBefore) {
        List<String> removed = new ArrayList<>();
        for (Path f : StateStore.list(dir(runRoot))) {
            String name = f.getFileName().toString();
            var temporary = TEMPORARY.matcher(name);
            if (HASH.matcher(name).matches()) {
                if (!named.contains(name) && lastUsed(f).isBefore(usedBefore) && removeUnused(f, usedBefore)) {
                    removed.add(name);
                }
            } else if (temporary.matches()) {
                settle(f, temporary.group(1), named.contains(temporary.group(1)), usedBefore);
            }
        }
        for (Path f : StateStore.list(dir(runRoot))) { // memos of names whose files are gone, and what dead writers left
            String name = f.getFileName().toString();
            if (name.startsWith(MEMO_PREFIX) && !Files.exists(f.resolveSibling(memoTarget(f)))
                    || name.startsWith(MEMO_TEMPORARY_PREFIX) && lastUsed(f).isBefore(usedBefore)) {
                deleteQuietly(f);
            }
        }
        return removed;
    }

    /**
     * Renames {@code file} to a name of this process's, then looks at its time again: used since
     * it was checked, it goes back; else it is deleted. True when it was deleted.
     */
    private static boolean removeUnused(Path file, Instant usedBefore) {
        Path aside = file.resolveSibling(file.getFileName() + ".gc-" + ProcessHandle.current().pid());
        try {
            Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            return false; // another pruner's
        } catch (IOException e) {
            throw new UncheckedIOException("moving " + file + " aside: " + e.getMessage(), e);
        }
        if (!lastUsed(aside).isBefore(usedBefore)) {
            putBack(aside, file);
            return false;
        }
        try {
            Files.delete(aside);
        } catch (NoSuchFileException e) {
            return false; // another pruner put it back
        } catch (IOException e) {
            throw new UncheckedIOException("deleting " + aside + ": " + e.getMessage(), e);
        }
        USED.remove(file);
        return true;
    }

    /**
     * A file being written or moved aside by a pruner. One moved aside goes back to its name when
     * it is in use or named (its pruner died between its rename and its second look, or is about
     * to put it back itself); an old one no record names is deleted, as is an old one being
     * written (its writer died).
     */
    private static void settle(Path temporary, String hash, boolean named, Instant usedBefore) {
        boolean aside = temporary.getFileName().toString().contains(".gc-");
        boolean inUse = !lastUsed(temporary).isBefore(usedBefore);
        if (aside && (inUse || named)) {
            putBack(temporary, temporary.resolveSibling(hash));
        } else if (!inUse) {
            deleteQuietly(temporary);
        }
    }

    private static void putBack(Path aside, Path file) {
        try {
            Files.move(aside, file, StandardCopyOption.ATOMIC_MOVE); // the same bytes as any file written meanwhile
        } catch (NoSuchFileException e) {
            // another pruner settled it
        } catch (IOException e) {
            throw new UncheckedIOException("moving " + aside + " back to " + file + ": " + e.getMessage(), e);
        }
    }

    /** The name a memo holds (a name no file has when it cannot be read). */
    private static String memoTarget(Path memo) {
        try {
            String hash = Files.readString(memo, StandardCharsets.US_ASCII);
            return HASH.matcher(hash).matches() ? hash : ".none";
        } catch (IOException | RuntimeException e) {
            return ".none";
        }
    }

    /** When {@code f} was last used; {@link Instant#MAX} when it is gone (then it is left alone). */
    private static Instant lastUsed(Path f) {
        try {
            return Files.getLastModifiedTime(f).toInstant();
        } catch (IOException e) {
            return Instant.MAX;
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // what is left is pruned next time
        }
    }
}
