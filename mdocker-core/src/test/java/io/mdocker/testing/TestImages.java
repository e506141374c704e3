package io.mdocker.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The image tests' image, made by real producers: an OCI layout {@code DIR:v2} built by umoci
 * from the busybox rootfs (layer 1) and a second layer that replaces /etc/passwd and /etc/group
 * (user {@code app}, 1234:2345), adds /etc/app/conf and deletes /tmp; its config has Entrypoint
 * {@code /bin/echo}, Cmd {@code from-image}, Env {@code GREETING=hello}, WorkingDir {@code /etc},
 * User {@code app}, a label, an exposed port and a stop signal.
 */
public final class TestImages {
    private TestImages() {}

    /** Makes the layout in {@code base/layout} (anew) and returns it; needs root, umoci and busybox-static. */
    public static synchronized Path umociLayout(Path base) throws IOException, InterruptedException {
        for (String tool : List.of("umoci", "skopeo")) {
            Fixtures.prerequisite(new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor() == 0,
                    tool + " is needed (apt-get install " + tool + ")");
        }
        Files.createDirectories(base);
        Path rootfs = Fixtures.rootfs(base.resolve("busybox-rootfs"));
        Path layout = base.resolve("layout");
        for (Path p : List.of(layout, base.resolve("bundle1"), base.resolve("bundle2"))) {
            run("rm", "-rf", p.toString());
        }
        run("umoci", "init", "--layout", layout.toString());
        run("umoci", "new", "--image", layout + ":base");
        Path b1 = base.resolve("bundle1");
        run("umoci", "unpack", "--image", layout + ":base", b1.toString());
        run("cp", "-a", rootfs + "/.", b1.resolve("rootfs").toString());
        run("umoci", "repack", "--image", layout + ":base", b1.toString());
        Path b2 = base.resolve("bundle2");
        run("umoci", "unpack", "--image", layout + ":base", b2.toString());
        Path r2 = b2.resolve("rootfs");
        Files.createDirectories(r2.resolve("etc/app"));
        Files.writeString(r2.resolve("etc/app/conf"), "v2\n");
        Files.deleteIfExists(r2.resolve("etc/passwd"));
        Files.writeString(r2.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345::/home/app:/bin/sh\n");
        Files.writeString(r2.resolve("etc/group"), "root:x:0:\napp:x:2345:\nstaff:x:50:\n");
        try (Stream<Path> s = Files.list(r2.resolve("tmp"))) {
            for (Path p : s.toList()) {
                run("rm", "-rf", p.toString());
            }
        }
        Files.delete(r2.resolve("tmp"));
        run("umoci", "repack", "--image", layout + ":v2", b2.toString());
        run("umoci", "config", "--image", layout + ":v2", "--config.entrypoint", "/bin/echo",
                "--config.cmd", "from-image", "--config.env", "GREETING=hello", "--config.workingdir", "/etc",
                "--config.user", "app", "--config.label", "org.example=yes", "--config.exposedports", "8080/tcp",
                "--config.stopsignal", "SIGINT");
        return layout;
    }

    /**
     * Tags {@code stop} in {@code layout} (made by {@link #umociLayout}): the v2 image run by root,
     * its StopSignal SIGINT, its entrypoint a shell that traps INT, TERM, USR1 and SIGRTMIN+3 (exit 42,
     * 43, 44, 45),
     * ignores HUP, writes /ready once the traps are set, and waits.
     */
    public static void stopTag(Path layout) throws IOException, InterruptedException {
        run("umoci", "config", "--image", layout + ":v2", "--tag", "stop", "--clear=config.entrypoint",
                "--clear=config.cmd", "--config.user", "0", "--config.stopsignal", "SIGINT",
                "--config.entrypoint", "/bin/sh", "--config.entrypoint", "-c", "--config.entrypoint",
                "trap 'exit 42' INT; trap 'exit 43' TERM; trap 'exit 44' USR1; trap 'exit 45' 37; trap '' HUP; touch /ready; "
                        + "while true; do sleep 1 & wait $!; done");
    }

    /**
     * Tags {@code web} in {@code layout}: the v2 image run by root, exposing 80/tcp, 8081 and
     * 53/udp, its entrypoint busybox httpd serving "hello" on 80.
     */
    public static void webTag(Path layout) throws IOException, InterruptedException {
        run("umoci", "config", "--image", layout + ":v2", "--tag", "web", "--clear=config.entrypoint",
                "--clear=config.cmd", "--clear=config.exposedports", "--config.user", "0",
                "--config.exposedports", "80/tcp", "--config.exposedports", "8081", "--config.exposedports", "53/udp",
                "--config.entrypoint", "/bin/sh", "--config.entrypoint", "-c", "--config.entrypoint",
                "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www");
    }

    /**
     * Tags {@code tag} in {@code layout}: the v2 image run by root, its entrypoint a shell that
     * touches /ok after {@code okAfter} seconds and then waits, its config's Healthcheck
     * {@code healthcheckJson} (umoci cannot set one: the config and manifest are rewritten here,
     * as new blobs named by their digests).
     */
    public static void healthTag(Path layout, String tag, int okAfter, String healthcheckJson)
            throws IOException, InterruptedException {
        String base = tag + "-base";
        run("umoci", "config", "--image", layout + ":v2", "--tag", base, "--clear=config.entrypoint",
                "--clear=config.cmd", "--config.user", "0", "--config.entrypoint", "/bin/sh", "--config.entrypoint", "-c",
                "--config.entrypoint", "sleep " + okAfter + "; touch /ok; while true; do sleep 1 & wait $!; done");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        Path indexFile = layout.resolve("index.json");
        var index = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(indexFile.toFile());
        com.fasterxml.jackson.databind.JsonNode baseDesc = null;
        for (var d : index.get("manifests")) {
            if (base.equals(d.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
                baseDesc = d;
            }
        }
        if (baseDesc == null) {
            throw new AssertionError("no tag " + base + " in " + indexFile);
        }
        var manifest = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(blob(layout, baseDesc.get("digest").asText()));
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(blob(layout,
                manifest.get("config").get("digest").asText()));
        ((com.fasterxml.jackson.databind.node.ObjectNode) config.get("config")).set("Healthcheck", json.readTree(healthcheckJson));
        byte[] configBytes = json.writeValueAsBytes(config);
        var configDesc = (com.fasterxml.jackson.databind.node.ObjectNode) manifest.get("config");
        configDesc.put("digest", writeBlob(layout, configBytes)).put("size", configBytes.length);
        byte[] manifestBytes = json.writeValueAsBytes(manifest);
        var desc = ((com.fasterxml.jackson.databind.node.ObjectNode) baseDesc).deepCopy();
        desc.put("digest", writeBlob(layout, manifestBytes)).put("size", manifestBytes.length);
        ((com.fasterxml.jackson.databind.node.ObjectNode) desc.get("annotations")).put("org.opencontainers.image.ref.name", tag);
        ((com.fasterxml.jackson.databind.node.ArrayNode) index.get("manifests")).add(desc);
        Files.write(indexFile, json.writeValueAsBytes(index));
    }

    /**
     * An OCI layout in {@code base/layout} (anew) with the tag {@code owners}: the busybox rootfs
     * with /srv/gone, /srv/kept and /srv/opq/old (umoci), and a second layer (GNU tar, added
     * verbatim) that deletes /srv/gone, makes /srv/opq opaque holding only /srv/opq/new, and adds
     * /home/pg (70:70, 0700) with /home/pg/data (70:71, 0640, "pgdata") and a setuid /bin/suid.
     * Needs root and umoci.
     */
    public static synchronized Path ownersLayout(Path base) throws IOException, InterruptedException {
        Fixtures.prerequisite(new ProcessBuilder("sh", "-c", "command -v umoci").start().waitFor() == 0,
                "umoci is needed (apt-get install umoci)");
        Path layout = base.resolve("layout");
        Path b1 = base.resolve("bundle");
        Path l2 = base.resolve("layer2");
        run("sh", "-c", "rm -rf " + base + " && mkdir -p " + base
                + " && umoci init --layout " + layout + " && umoci new --image " + layout + ":base"
                + " && umoci unpack --image " + layout + ":base " + b1
                + " && cp -a " + Fixtures.rootfs() + "/. " + b1 + "/rootfs"
                + " && mkdir -p " + b1 + "/rootfs/srv/opq && echo g > " + b1 + "/rootfs/srv/gone"
                + " && echo k > " + b1 + "/rootfs/srv/kept && echo o > " + b1 + "/rootfs/srv/opq/old"
                + " && umoci repack --image " + layout + ":base " + b1
                + " && mkdir -p " + l2 + "/srv/opq " + l2 + "/home/pg " + l2 + "/bin"
                + " && touch " + l2 + "/srv/.wh.gone " + l2 + "/srv/opq/.wh..wh..opq && echo n > " + l2 + "/srv/opq/new"
                + " && echo pgdata > " + l2 + "/home/pg/data && chown 70:71 " + l2 + "/home/pg/data && chmod 640 "
                + l2 + "/home/pg/data && chown 70:70 " + l2 + "/home/pg && chmod 700 " + l2 + "/home/pg"
                + " && echo x > " + l2 + "/bin/suid && chmod 4755 " + l2 + "/bin/suid"
                + " && tar --numeric-owner -C " + l2 + " -cf " + base + "/layer2.tar ."
                + " && umoci raw add-layer --image " + layout + ":base --tag owners " + base + "/layer2.tar");
        return layout;
    }

    private static byte[] blob(Path layout, String digest) throws IOException {
        return Files.readAllBytes(layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length())));
    }

    private static String writeBlob(Path layout, byte[] bytes) throws IOException {
        try {
            String hex = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
            Files.write(layout.resolve("blobs/sha256").resolve(hex), bytes);
            return "sha256:" + hex;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    public static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
