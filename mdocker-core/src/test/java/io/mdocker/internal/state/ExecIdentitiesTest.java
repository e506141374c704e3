package io.mdocker.internal.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pruning rules of the identity files, on files in a temporary run root (gc with real
 * containers: {@code ExecIdentityGcTest}).
 */
class ExecIdentitiesTest {
    private static final FileTime HOUR_AGO = FileTime.from(Instant.now().minus(Duration.ofHours(1)));

    @Test
    void storingMarksAFileUsedAndPruningKeepsNamedAndRecentlyUsedFiles(@TempDir Path runRoot) throws Exception {
        String used = ExecIdentities.store(runRoot, new byte[] {1});
        String named = ExecIdentities.store(runRoot, new byte[] {2});
        String unused = ExecIdentities.store(runRoot, new byte[] {3});
        Path dir = ExecIdentities.dir(runRoot);
        Files.setLastModifiedTime(dir.resolve(named), HOUR_AGO);
        Files.setLastModifiedTime(dir.resolve(unused), HOUR_AGO);
        Instant usedBefore = Instant.now().minus(ExecIdentities.GRACE);

        assertThat(ExecIdentities.prune(runRoot, Set.of(named), usedBefore)).containsExactly(unused);
        assertThat(dir.resolve(unused)).doesNotExist();
        assertThat(dir.resolve(named)).exists();
        assertThat(dir.resolve(used)).exists();
        assertThat(ExecIdentities.read(runRoot, named, runRoot.resolve("state"))).containsExactly(2);

        // the pruned one is written again when it is used again, though this JVM had used it
        assertThat(ExecIdentities.store(runRoot, new byte[] {3})).isEqualTo(unused);
        assertThat(dir.resolve(unused)).exists();
        assertThat(Files.getLastModifiedTime(dir.resolve(unused)).toInstant()).isAfter(usedBefore);
    }

    @Test
    void whatDeadWritersAndPrunersLeftIsPutBackOrRemoved(@TempDir Path runRoot) throws Exception {
        Path dir = Files.createDirectories(ExecIdentities.dir(runRoot));
        String a = "a".repeat(64);
        String b = "b".repeat(64);
        String c = "c".repeat(64);
        String d = "d".repeat(64);
        Path asideInUse = Files.writeString(dir.resolve(a + ".gc-7"), "x");           // used after it was moved aside
        Path asideNamed = Files.writeString(dir.resolve(b + ".gc-7"), "x");           // named by a record
        Path asideUnused = Files.writeString(dir.resolve(c + ".gc-7"), "x");
        Path deadWriter = Files.writeString(dir.resolve(d + ".new-7-1"), "x");
        Path writer = Files.writeString(dir.resolve(a + ".new-8-1"), "x");            // at work
        for (Path old : new Path[] {asideNamed, asideUnused, deadWriter}) {
            Files.setLastModifiedTime(old, HOUR_AGO);
        }

        assertThat(ExecIdentities.prune(runRoot, Set.of(b), Instant.now().minus(ExecIdentities.GRACE))).isEmpty();
        assertThat(dir.resolve(a)).as("moved aside, then used: put back").exists();
        assertThat(asideInUse).doesNotExist();
        assertThat(dir.resolve(b)).as("moved aside, named: put back").exists();
        assertThat(dir.resolve(c)).doesNotExist();
        assertThat(writer).exists();
        assertThat(dir).isDirectoryNotContaining(p -> p.getFileName().toString().contains(".gc-"))
                .isDirectoryNotContaining(p -> p.getFileName().toString().startsWith(d));
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()).sorted().toList())
                .containsExactly(a, a + ".new-8-1", b);
    }

    @Test
    void aNameIsTakenFromTheMemoOnlyWhenItsFileHoldsTheSameBytes(@TempDir Path runRoot) throws Exception {
        byte[] a = "identity a".getBytes();
        byte[] b = "identity b".getBytes();
        String hashA = ExecIdentities.store(runRoot, a);
        assertThat(hashA).isEqualTo(ExecIdentities.sha256(a));
        Path dir = ExecIdentities.dir(runRoot);
        Path memoA = dir.resolve(ExecIdentities.memoName(a));
        assertThat(memoA).as("written with the new identity").hasContent(hashA);
        assertThat(ExecIdentities.store(runRoot, b)).isEqualTo(ExecIdentities.sha256(b)); // this JVM's last identity is b now

        // A memo naming a file with exactly a's bytes: its name is taken, without a digest (in the
        // run root, a file's name is its bytes' SHA-256; this one is planted to show which way came)
        String planted = "e".repeat(64);
        Files.write(dir.resolve(planted), a);
        Files.writeString(memoA, planted);
        assertThat(ExecIdentities.store(runRoot, a)).as("through the memo").isEqualTo(planted);

        // A memo naming a file with other bytes (a collision of checksum and length, or a stale memo):
        // not taken; the digest's name, and the memo rewritten
        Files.writeString(memoA, ExecIdentities.sha256(b));
        ExecIdentities.store(runRoot, b);
        assertThat(ExecIdentities.store(runRoot, a)).isEqualTo(hashA);
        assertThat(memoA).hasContent(hashA);

        // pruning removes a memo whose file is gone
        Files.delete(dir.resolve(hashA));
        ExecIdentities.prune(runRoot, Set.of(), Instant.now().minus(ExecIdentities.GRACE));
        assertThat(memoA).doesNotExist();
        assertThat(dir.resolve(ExecIdentities.memoName(b))).exists();
    }
}
