package io.mdocker.internal.security;

import io.mdocker.Capability;
import io.mdocker.SeccompProfile;
import io.mdocker.SeccompProfile.Arg;
import io.mdocker.SeccompProfile.Rule;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compiled seccomp programs on disk, under {@code LIBROOT/seccomp-cache}, so that a new JVM (a CLI
 * command) does not load libseccomp and add hundreds of rules through it before each container: a
 * file per program, named by the SHA-256 of everything the program depends on (this format's
 * version, the libseccomp library file, the native architecture and kernel version, the
 * capability set, the profile's default action and architectures, and the rules that apply with
 * their actions and conditions, in order). The file holds a magic line, the CRC-32C of the program
 * and the program: a check against a damaged file (what stands against a forged one is the folder's
 * ownership, below), which unlike a SHA-256 needs none of java.security's providers, whose set-up
 * costs a one-shot command line ~20 ms (docs/bench/cli.md).
 *
 * <p>Docker's default profile, the one nearly every container runs under, has keys of its own
 * ({@link #dockerDefaultKey}) that need neither the profile (hundreds of rules, built in Java) nor a
 * digest at run time: its SHA-256 is a constant here, which SeccompCacheTest checks against the
 * profile's every rule, and the rest of what its program depends on (the architecture, the
 * capability set, the kernel version, the libseccomp file) is written into the file name.
 *
 * <p>A program read back decides what a container may do, so it is used only when the folder and
 * the file are owned by root, not symbolic links, and writable by nobody else, and the program's
 * checksum matches; anything else is ignored (the program is compiled again and the file replaced, when
 * the folder itself is safe). Files are written to a temporary name in the same folder and
 * renamed into place: a reader sees a whole file or none. Failures to read or write the cache never
 * fail a container: the program is compiled as without it.
 */
final class SeccompCache {
    private SeccompCache() {}

    static final String DIR = "seccomp-cache";
    private static final byte[] MAGIC = "mdocker-seccomp-bpf 2\n".getBytes(StandardCharsets.US_ASCII);
    private static final int CHECKSUM = 4;
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    /** Where distributions put libseccomp.so.2; its real file name carries the version. */
    private static final List<String> LIB_DIRS = List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib");

    /**
     * The SHA-256 of {@link SeccompProfile#dockerDefault()} on {@link #DOCKER_DEFAULT_ARCH} (its
     * architectures depend on the native one), as SeccompCacheTest writes the profile out: every
     * component of every rule. A change to the profile fails that test until this is updated, so
     * that no cache file made for the old profile is read for the new one.
     */
    static final String DOCKER_DEFAULT_DIGEST = "1709df667f93905855926a3f96da62b9cae39db89e92d98044580f24a0566e29";
    /** The native architecture (Docker's name) {@link #DOCKER_DEFAULT_DIGEST} was taken on. */
    static final String DOCKER_DEFAULT_ARCH = "amd64";
    /** The longest file name Linux file systems take. */
    private static final int NAME_MAX = 255;
    private static final String HEX = "0123456789abcdef";

    static Path dir(Path libRoot) {
        return libRoot.resolve(DIR);
    }

    /** The file name of the program of {@code profile} for {@code caps}. */
    static String key(SeccompProfile profile, Set<Capability> caps, long capMask) {
        StringBuilder b = new StringBuilder(8192);
        b.append("v1\n").append(libseccomp()).append('\n').append(SeccompCompiler.nativeArch()).append(' ')
                .append(System.getProperty("os.version")).append('\n').append(Long.toHexString(capMask)).append('\n');
        action(b, profile.defaultAction()).append('\n').append(profile.architectures()).append('\n');
        for (Rule r : profile.rules()) {
            if (!SeccompCompiler.applies(r, caps)) {
                continue;
            }
            action(b, r.action()).append(' ').append(r.names());
            for (Arg a : r.args()) {
                b.append(' ').append(a.index()).append(a.op()).append(a.value()).append(',').append(a.valueTwo());
            }
            b.append('\n');
        }
        return HexFormat.of().formatHex(sha256(b.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The file name of the program of Docker's default profile for the capability bits
     * {@code capMask}, made without the profile and without a digest; empty where the profile's
     * digest is not known (another architecture than {@link #DOCKER_DEFAULT_ARCH}) or the name
     * would be too long (a kernel version of dozens of unusual characters): {@link #key} then.
     */
    static Optional<String> dockerDefaultKey(long capMask) {
        String arch = SeccompCompiler.nativeArch();
        if (!arch.equals(DOCKER_DEFAULT_ARCH)) {
            return Optional.empty();
        }
        StringBuilder b = new StringBuilder(256).append("docker-default,v1,").append(DOCKER_DEFAULT_DIGEST).append(',')
                .append(arch).append(',').append(Long.toHexString(capMask)).append(',');
        escape(b, System.getProperty("os.version")).append(',');
        escape(b, libseccomp());
        return b.length() <= NAME_MAX ? Optional.of(b.toString()) : Optional.empty();
    }

    /**
     * Appends {@code s} with every character but letters, digits, '.', '_', '+' and '-' written as
     * '%' and four hex digits: one way back, so that different values never share a name, and
     * never a '/' or a ','.
     */
    static StringBuilder escape(StringBuilder b, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '+'
                    || c == '-') {
                b.append(c);
            } else {
                b.append('%').append(HEX.charAt(c >> 12 & 0xf)).append(HEX.charAt(c >> 8 & 0xf))
                        .append(HEX.charAt(c >> 4 & 0xf)).append(HEX.charAt(c & 0xf));
            }
        }
        return b;
    }

    /**
     * {@code a} as its record's {@code toString} wrote it (the keys of existing cache files), without
     * calling it: a record's generated {@code toString} spins method-handle classes on first use.
     */
    static StringBuilder action(StringBuilder b, SeccompProfile.Action a) {
        return b.append("Action[kind=").append(a.kind()).append(", value=").append(a.value()).append(']');
    }

    /** The cached program for {@code key}, or null when there is none that may be trusted. */
    static byte[] read(Path libRoot, String key) {
        Path dir = dir(libRoot);
        Path file = dir.resolve(key);
        try {
            if (!safe(dir, true) || !Files.exists(file, LinkOption.NOFOLLOW_LINKS) || !safe(file, false)) {
                return null;
            }
            byte[] all = Files.readAllBytes(file);
            int head = MAGIC.length + CHECKSUM;
            if (all.length <= head || (all.length - head) % 8 != 0
                    || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                return null;
            }
            byte[] program = Arrays.copyOfRange(all, head, all.length);
            return ByteBuffer.wrap(all, MAGIC.length, CHECKSUM).getInt() == checksum(program) ? program : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Stores {@code program} under {@code key}, atomically; quietly does nothing when it cannot, or should not. */
    static void write(Path libRoot, String key, byte[] program) {
        Path dir = dir(libRoot);
        Path tmp = null;
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(libRoot);
                Files.createDirectory(dir);
                Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
            }
            if (!safe(dir, true)) {
                return;
            }
            tmp = Files.createTempFile(dir, ".tmp-", ""); // 0600
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocate(MAGIC.length + CHECKSUM + program.length);
                buf.put(MAGIC).putInt(checksum(program)).put(program).flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, dir.resolve(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException | RuntimeException e) {
            // a cache, not a requirement: the next start compiles again
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // left for the next writer to replace; never read (not a key's name)
                }
            }
        }
    }

    /** Owned by root, the expected kind (not a symbolic link), and writable by no one else. */
    static boolean safe(Path p, boolean directory) throws IOException {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (directory ? !a.isDirectory() : !a.isRegularFile()) {
            return false;
        }
        Object uid = Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> perms = a.permissions();
        return Integer.valueOf(0).equals(uid) && !perms.contains(PosixFilePermission.GROUP_WRITE)
                && !perms.contains(PosixFilePermission.OTHERS_WRITE);
    }

    /** The libseccomp.so.2 a lookup would load, as its real name (with the version), size and time. */
    private static String libseccomp() {
        Set<String> seen = new TreeSet<>();
        for (String d : LIB_DIRS) {
            Path p = Path.of(d, "libseccomp.so.2");
            try {
                if (Files.exists(p)) {
                    Path real = p.toRealPath();
                    if (seen.add(real.toString())) {
                        return real + " " + Files.size(real) + " " + Files.getLastModifiedTime(real).toMillis();
                    }
                }
            } catch (IOException e) {
                // next
            }
        }
        return "libseccomp.so.2 not found in " + LIB_DIRS;
    }

    private static int checksum(byte[] program) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(program);
        return (int) crc.getValue();
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
