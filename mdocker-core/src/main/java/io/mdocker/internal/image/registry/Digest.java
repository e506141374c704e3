package io.mdocker.internal.image.registry;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest, {@code algorithm:hex}, as the OCI image spec defines it; sha256 and sha512
 * are the algorithms it registers, and the only ones accepted.
 */
public record Digest(String algorithm, String hex) {
    private static final Pattern HEX256 = Pattern.compile("[a-f0-9]{64}");
    private static final Pattern HEX512 = Pattern.compile("[a-f0-9]{128}");

    public Digest {
        boolean ok = switch (algorithm) {
            case "sha256" -> HEX256.matcher(hex).matches();
            case "sha512" -> HEX512.matcher(hex).matches();
            default -> false;
        };
        if (!ok) {
            throw new IllegalArgumentException("digest " + algorithm + ":" + hex
                    + ": expected sha256:<64 lower-case hex digits> or sha512:<128>");
        }
    }

    /** Parses {@code sha256:<hex>}; a one-line IllegalArgumentException naming the value otherwise. */
    public static Digest parse(String s) {
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("digest " + s + ": expected sha256:<64 lower-case hex digits>");
        }
        return new Digest(s.substring(0, colon), s.substring(colon + 1));
    }

    /** The sha256 digest of some bytes. */
    public static Digest sha256(byte[] bytes) {
        return new Digest("sha256", HexFormat.of().formatHex(newSha256().digest(bytes)));
    }

    /** A fresh hasher for this digest's algorithm. */
    public MessageDigest newHasher() {
        try {
            return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has both
        }
    }

    /** Whether a finished hasher's value is this digest. */
    public boolean matches(byte[] computed) {
        return HexFormat.of().formatHex(computed).equals(hex);
    }

    /** Where the blob lives under a store's {@code blobs} directory: {@code <algorithm>/<hex>}. */
    public Path pathUnder(Path blobsRoot) {
        return blobsRoot.resolve(algorithm).resolve(hex);
    }

    /** The first 12 hex digits, as progress lines show a layer. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
