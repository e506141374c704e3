package io.mdocker.internal.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A plain directory tree standing in for cgroupfs, for tests of the decision logic (what is
 * written where, what is refused): writes create the files they write, {@code cgroup.subtree_control}
 * takes "+c"/"-c" as the kernel does, a new cgroup gets its parent's interface files (empty, as v1
 * cpuset's are unless cgroup.clone_children is 1) and on v2 a cgroup.controllers listing what the
 * parent enabled, rmdir empties a directory first, and nothing is ever killed (the pids a test
 * writes into cgroup.procs are not processes of this tree).
 */
final class FakeCgroupFs extends CgroupFs {
    @Override
    public void write(Path file, String value) {
        try {
            if (file.getFileName().toString().equals("cgroup.subtree_control")) {
                Files.writeString(file, subtreeControl(Files.readString(file), value));
            } else {
                Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException e) {
            throw new CgroupException("writing \"" + value + "\" to " + file + ": " + reason(e), e);
        }
    }

    /** "+c" enables c, "-c" disables it. */
    private static String subtreeControl(String current, String change) {
        Set<String> on = new LinkedHashSet<>(Arrays.asList(current.trim().split("\\s+")));
        on.remove("");
        for (String w : change.trim().split("\\s+")) {
            if (w.startsWith("+")) {
                on.add(w.substring(1));
            } else if (w.startsWith("-")) {
                on.remove(w.substring(1));
            }
        }
        return String.join(" ", on) + "\n";
    }

    @Override
    public boolean siblingsHave(Path dir, String file) {
        return exists(dir.resolve(file)); // a test changes the tree between calls
    }

    @Override
    public void killAll(List<Path> dirs, Path freezer, Path killFile) {
        // no processes here
    }

    @Override
    public boolean mkdir(Path dir) throws NoSuchFileException {
        boolean made = super.mkdir(dir);
        if (made) {
            try {
                populate(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return made;
    }

    private static void populate(Path dir) throws IOException {
        Path parent = dir.getParent();
        try (Stream<Path> files = Files.list(parent)) {
            for (Path f : files.toList()) {
                if (Files.isRegularFile(f)) {
                    Files.createFile(dir.resolve(f.getFileName()));
                }
            }
        }
        Path clone = parent.resolve("cgroup.clone_children");
        if (Files.exists(clone) && Files.readString(clone).strip().equals("1")) {
            for (String f : new String[] {"cpuset.cpus", "cpuset.mems"}) {
                if (Files.exists(parent.resolve(f))) {
                    Files.writeString(dir.resolve(f), Files.readString(parent.resolve(f)));
                }
            }
        }
        Path subtree = parent.resolve("cgroup.subtree_control");
        if (Files.exists(subtree)) {
            Files.writeString(dir.resolve("cgroup.controllers"), Files.readString(subtree));
        }
    }

    @Override
    public boolean rmdir(Path dir) {
        if (Files.isRegularFile(dir)) {
            throw new CgroupException("removing cgroup " + dir + ": Not a directory");
        }
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    if (Files.isRegularFile(f)) {
                        Files.delete(f);
                    }
                }
            } catch (IOException e) {
                throw new CgroupException("removing cgroup " + dir + ": " + reason(e), e);
            }
        }
        return super.rmdir(dir);
    }
}
