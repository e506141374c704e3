package io.mdocker.internal.image.registry;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The pull progress a command line shows: plain lines off a terminal, redrawn lines with bytes and rate on one. */
class ProgressPrinterTest {
    static final Descriptor CONFIG = new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256(new byte[] {1}), 300);
    static final Descriptor LAYER = new Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", Digest.sha256(new byte[] {2}), 4 << 20);

    @Test
    void plainLinesOnePerEventNeverPerChunk() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        ProgressPrinter p = new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, now::get);
        p.resolved("127.0.0.1:5000/app:1", Digest.sha256(new byte[] {3}), List.of(CONFIG, LAYER));
        p.blobPresent(CONFIG);
        p.blobStarted(LAYER);
        for (int i = 1; i <= 4; i++) {
            now.addAndGet(500_000_000L);
            p.blobProgress(LAYER, i << 20, LAYER.size());
        }
        p.blobRetrying(LAYER, 4 << 20, "EOF");
        p.blobDone(LAYER);
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertThat(s.lines().toList()).containsExactly(
                "127.0.0.1:5000/app:1: manifest " + Digest.sha256(new byte[] {3}),
                CONFIG.digest().shortHex() + ": already present",
                LAYER.digest().shortHex() + ": downloading 4.0 MiB",
                LAYER.digest().shortHex() + ": retrying from byte 4194304: EOF",
                LAYER.digest().shortHex() + ": done, 4.0 MiB in 2.0 s (2.0 MiB/s)");
        assertThat(s).doesNotContain("\033");
    }

    @Test
    void onATerminalEachBlobHasALineRedrawnInPlaceWithBytesAndRate() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        ProgressPrinter p = new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, now::get);
        p.resolved("img", Digest.sha256(new byte[] {3}), List.of(CONFIG, LAYER));
        p.blobStarted(LAYER);
        now.addAndGet(1_000_000_000L);
        p.blobProgress(LAYER, 1 << 20, LAYER.size());
        int before = bytes.size();
        now.addAndGet(10_000_000L); // within a tenth of a second: not redrawn
        p.blobProgress(LAYER, 2 << 20, LAYER.size());
        assertThat(bytes.size()).isEqualTo(before);
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertThat(s).contains("\033[2A").contains(LAYER.digest().shortHex() + ": downloading  1.0 MiB / 4.0 MiB  1.0 MiB/s")
                .contains(CONFIG.digest().shortHex() + ": waiting");
    }

    @Test
    void sizesInBinaryUnits() {
        assertThat(ProgressPrinter.size(512)).isEqualTo("512 B");
        assertThat(ProgressPrinter.size(1536)).isEqualTo("1.5 KiB");
        assertThat(ProgressPrinter.size(3L << 30)).isEqualTo("3.0 GiB");
    }
}
