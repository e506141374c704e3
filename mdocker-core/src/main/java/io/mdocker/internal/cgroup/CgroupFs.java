package io.mdocker.internal.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads and writes cgroup interface files and makes and removes cgroup directories, turning I/O
 * failures into {@link CgroupException}s that name the path and the value. The {@link #REAL}
 * instance never creates a file (a cgroup's files are the kernel's); a {@link #fake()} one, for
 * tests on a plain directory tree, creates the files it writes and empties directories before
 * removing them. Thread-safe.
 */
public final class CgroupFs {
    public static final CgroupFs REAL = new CgroupFs(false);

    private final boolean fake;

    private CgroupFs(boolean fake) {
        this.fake = fake;
    }

    /** For tests: a plain directory tree stands in for cgroupfs. */
    public static CgroupFs fake() {
        return new CgroupFs(true);
    }

    public boolean isFake() {
        return fake;
    }

    /** Writes {@code value} to a cgroup file in one write(2), as the kernel expects. */
    public void write(Path file, String value) {
        try {
            byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
            if (fake && file.getFileName().toString().equals("cgroup.subtree_control")) {
                Files.writeString(file, fakeSubtreeControl(Files.readString(file), value));
            } else if (fake) {
                Files.write(file, bytes);
            } else {
                Files.write(file, bytes, StandardOpenOption.WRITE);
            }
        } catch (IOException e) {
            throw new CgroupException("writing \"" + value + "\" to " + file + ": " + reason(e), e);
        }
    }

    /** The fake kernel's subtree_control: "+c" enables c, "-c" disables it. */
    private static String fakeSubtreeControl(String current, String change) {
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

    /** The file's content without the trailing newline. */
    public String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new CgroupException("reading " + file + ": " + reason(e), e);
        }
    }

    /** A file holding one number; "max" reads as Long.MAX_VALUE. */
    public long readLong(Path file) {
        String s = read(file);
        if (s.equals("max")) {
            return Long.MAX_VALUE;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new CgroupException("reading " + file + ": expected a number, found \"" + s + "\"");
        }
    }

    /** A flat-keyed file ("key value" per line, as memory.events or cpu.stat). */
    public Map<String, Long> readKeyed(Path file) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : read(file).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2) {
                try {
                    m.put(f[0], Long.parseLong(f[1]));
                } catch (NumberFormatException ignored) {
                    // not a counter
                }
            }
        }
        return m;
    }

    /** The pids in {@code dir}'s cgroup.procs (empty when the cgroup is gone). */
    public List<Integer> procs(Path dir) {
        List<Integer> pids = new ArrayList<>();
        Path file = dir.resolve("cgroup.procs");
        if (fake && !Files.exists(file)) {
            return pids;
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return pids;
        } catch (IOException e) {
            throw new CgroupException("reading " + file + ": " + reason(e), e);
        }
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                pids.add(Integer.parseInt(line.trim()));
            }
        }
        return pids;
    }

    /**
     * The fake kernel: a new cgroup gets its parent's interface files, empty (as v1 cpuset's
     * cpus and mems are, unless the parent's cgroup.clone_children is 1), and on v2 a
     * cgroup.controllers listing what the parent enabled.
     */
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

    public boolean exists(Path p) {
        return Files.exists(p);
    }

    /** mkdir; true when made, false when it already existed. A missing parent throws NoSuchFile. */
    public boolean mkdir(Path dir) throws NoSuchFileException {
        try {
            Files.createDirectory(dir);
            if (fake) {
                populate(dir);
            }
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new CgroupException("creating cgroup " + dir + ": " + reason(e), e);
        }
    }

    /**
     * rmdir; true when removed, false when it did not exist. A cgroup that still has processes
     * or children throws {@link BusyException}.
     */
    public boolean rmdir(Path dir) {
        try {
            if (fake && Files.isRegularFile(dir)) {
                throw new CgroupException("removing cgroup " + dir + ": Not a directory");
            }
            if (fake && Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : files.toList()) {
                        if (Files.isRegularFile(f)) {
                            Files.delete(f);
                        }
                    }
                }
            }
            Files.delete(dir);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (DirectoryNotEmptyException e) {
            throw new BusyException("removing cgroup " + dir + ": it has child cgroups", e);
        } catch (FileSystemException e) {
            if ("Device or resource busy".equals(e.getReason())) {
                throw new BusyException("removing cgroup " + dir + ": " + reason(e), e);
            }
            throw new CgroupException("removing cgroup " + dir + ": " + reason(e), e);
        } catch (IOException e) {
            throw new CgroupException("removing cgroup " + dir + ": " + reason(e), e);
        }
    }

    /** rmdir that keeps quiet about a busy or missing directory; true when removed. */
    public boolean rmdirIfUnused(Path dir) {
        try {
            return rmdir(dir);
        } catch (BusyException e) {
            return false;
        }
    }

    /** The system's reason, without the path NIO repeats. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** A cgroup that cannot be removed yet: it still has processes (EBUSY) or children. */
    public static final class BusyException extends CgroupException {
        private static final long serialVersionUID = 1L;

        BusyException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
