package io.mdocker.internal.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** sha256 digests as the image formats write them: {@code sha256:<64 lower-case hex>}. */
final class Digests {
    private Digests() {}

    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    static String of(MessageDigest md) {
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    static String of(byte[] data) {
        MessageDigest md = sha256();
        md.update(data);
        return of(md);
    }

    /** The hex part of a valid digest; an {@link IllegalArgumentException} naming {@code what} otherwise. */
    static String hex(String digest, String what) {
        if (digest == null || !DIGEST.matcher(digest).matches()) {
            throw new IllegalArgumentException(what + " '" + digest + "' is not sha256: and 64 lower-case hex digits");
        }
        return digest.substring("sha256:".length());
    }

    /**
     * Counts and digests what is read through it; more than {@code limit} bytes is an error
     * naming {@code what} (a decompression bomb stops there).
     */
    static final class Counting extends FilterInputStream {
        private final MessageDigest md = sha256();
        private final long limit;
        private final String what;
        private long count;

        Counting(InputStream in, long limit, String what) {
            super(in);
            this.limit = limit;
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
                if (count > limit) {
                    throw new LimitException(what + " expands beyond the limit of " + limit + " bytes");
                }
                md.update(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[8192];
            long done = 0;
            while (done < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            return done;
        }

        /** Reads what is left, so that the digest covers the whole stream. */
        void drain() throws IOException {
            byte[] buf = new byte[8192];
            while (read(buf, 0, buf.length) >= 0) {
                // digesting
            }
        }

        long count() {
            return count;
        }

        String digest() {
            return of(md);
        }
    }

    /** A stream that grew past its bound. */
    static final class LimitException extends IOException {
        private static final long serialVersionUID = 1L;

        LimitException(String message) {
            super(message);
        }
    }
}
