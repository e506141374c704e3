package io.mdocker.internal.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Docker's normalisation of image references, and its refusals. */
class ImageReferenceTest {

    private static final String HEX = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    @ParameterizedTest
    @CsvSource({
        "alpine, docker.io/library/alpine:latest, alpine:latest",
        "alpine:3.19, docker.io/library/alpine:3.19, alpine:3.19",
        "library/alpine, docker.io/library/alpine:latest, alpine:latest",
        "user/app, docker.io/user/app:latest, user/app:latest",
        "docker.io/alpine, docker.io/library/alpine:latest, alpine:latest",
        "index.docker.io/library/alpine:1, docker.io/library/alpine:1, alpine:1",
        "docker.io/library/a/b, docker.io/library/a/b:latest, library/a/b:latest",
        "localhost/app, localhost/app:latest, localhost/app:latest",
        "localhost:5000/app:v1, localhost:5000/app:v1, localhost:5000/app:v1",
        "127.0.0.1:5000/team/app:1.0-rc_2, 127.0.0.1:5000/team/app:1.0-rc_2, 127.0.0.1:5000/team/app:1.0-rc_2",
        "registry.example.com/a/b/c, registry.example.com/a/b/c:latest, registry.example.com/a/b/c:latest",
        "Host/app, Host/app:latest, Host/app:latest",
        "host:5000/app, host:5000/app:latest, host:5000/app:latest",
        "[::1]:5000/app:t, [::1]:5000/app:t, [::1]:5000/app:t",
        "a__b/c-d--e.f_g, docker.io/a__b/c-d--e.f_g:latest, a__b/c-d--e.f_g:latest",
    })
    void normalises(String given, String canonical, String familiar) {
        ImageReference r = ImageReference.parse(given);
        assertEquals(canonical, r.toString());
        assertEquals(familiar, r.familiar());
        assertEquals(r, ImageReference.parse(canonical), "the canonical form parses to itself");
    }

    @Test
    void accessors() {
        ImageReference r = ImageReference.parse("localhost:5000/team/app:v2");
        assertEquals("localhost:5000", r.registry());
        assertEquals("team/app", r.repository());
        assertEquals(Optional.of("v2"), r.tag());
        assertEquals(Optional.empty(), r.digest());
        assertEquals("localhost:5000/team/app", r.name());
    }

    @Test
    void digestWithoutTagKeepsNoTag() {
        ImageReference r = ImageReference.parse("alpine@sha256:" + HEX);
        assertEquals(Optional.empty(), r.tag());
        assertEquals(Optional.of("sha256:" + HEX), r.digest());
        assertEquals("docker.io/library/alpine@sha256:" + HEX, r.toString());
        assertEquals("alpine@sha256:" + HEX, r.familiar());
    }

    @Test
    void tagAndDigestKeepsBoth() {
        ImageReference r = ImageReference.parse("host:5000/app:1@sha256:" + HEX);
        assertEquals("host:5000", r.registry());
        assertEquals(Optional.of("1"), r.tag());
        assertEquals(Optional.of("sha256:" + HEX), r.digest());
        assertEquals("host:5000/app:1@sha256:" + HEX, r.toString());
    }

    @Test
    void withTagDropsDigest() {
        ImageReference r = ImageReference.parse("app:1@sha256:" + HEX).withTag("2");
        assertEquals("docker.io/library/app:2", r.toString());
        assertFalse(r.digest().isPresent());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''| is empty",
        "Alpine| must be lower case",
        "docker.io/Library/alpine| must be lower case",
        "alpine:| tag ''",
        "alpine:-x| tag '-x'",
        "alpine:a/b| registry 'alpine:a'",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef| 64-digit hex",
        "alpine@sha256:abc| 64 lower-case hex",
        "alpine@sha256:" + "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef| 64 lower-case hex",
        "alpine@md5:0123456789abcdef0123456789abcdef| only sha256",
        "alpine@| is not ALGORITHM:HEX",
        "a//b| component ''",
        "/a| component ''",
        "a/| component ''",
        ":tag| no repository",
        "a b| space",
        "a-/b| component 'a-'",
        "_a| component '_a'",
        "a...b| component 'a...b'",
        "-host.com/app| registry '-host.com'",
        "host:port/app| registry 'host:port'",
    })
    void refuses(String given, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(given));
        assertTrue(e.getMessage().startsWith("invalid image reference '" + given + "'")
                || e.getMessage().startsWith("image reference is empty"), e.getMessage());
        assertTrue(e.getMessage().contains(expected.strip()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void refusesLongNamesAndTags() {
        assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("a".repeat(260)));
        assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("a:" + "t".repeat(129)));
        assertEquals("docker.io/library/a:" + "t".repeat(128), ImageReference.parse("a:" + "t".repeat(128)).toString());
    }
}
