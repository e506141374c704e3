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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's cgroup interface: reads and writes cgroup interface files, makes and removes
 * cgroup directories, and kills what is left in cgroups, turning I/O failures into
 * {@link CgroupException}s that name the path and the value. {@link #REAL} is the one the runtime
 * uses; it never creates a file (a cgroup's files are the kernel's). Tests of the decision logic
 * subclass it to stand a plain directory tree in for cgroupfs. Thread-safe.
 */
public class CgroupFs {
    /** The kernel's cgroup file systems. */
    public static final CgroupFs REAL = new CgroupFs();

    /** Whether cgroups below a parent have a file: the same for all siblings, looked up once. */
    private final Map<Path, Boolean> siblingFiles = new java.util.concurrent.ConcurrentHashMap<>();

    protected CgroupFs() {}

    /** Writes {@code value} to a cgroup file in one write(2), as the kernel expects. */
    public void write(Path file, String value) {
        try {
            Files.write(file, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new CgroupException("writing \"" + value + "\" to " + file + ": " + reason(e), e);
        }
    }

    /**
     * Whether {@code dir} has the interface file {@code file}: the kernel gives it to all cgroups
     * below one parent or to none, so the answer is kept per parent.
     */
    public boolean siblingsHave(Path dir, String file) {
        return siblingFiles.computeIfAbsent(dir.getParent().resolve(file), k -> exists(dir.resolve(file)));
    }

    /**
     * Kills every process in {@code dirs} and waits until none is left.
     *
     * @param freezer the v1 freezer cgroup among them, or null
     * @param killFile v2's cgroup.kill, or null
     */
    public void killAll(List<Path> dirs, Path freezer, Path killFile) {
        Stragglers.kill(this, dirs, freezer, killFile);
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

    public boolean exists(Path p) {
        return Files.exists(p);
    }

    /** mkdir; true when made, false when it already existed. A missing parent throws NoSuchFile. */
    public boolean mkdir(Path dir) throws NoSuchFileException {
        try {
            Files.createDirectory(dir);
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

    /** The uid owning {@code p}, or -1 when it cannot be read. */
    public int owner(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    /** Whether this process may write {@code p} (access(2), no write attempted). */
    public boolean writable(Path p) {
        return Files.isWritable(p);
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
    protected static String reason(IOException e) {
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

        protected BusyException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
