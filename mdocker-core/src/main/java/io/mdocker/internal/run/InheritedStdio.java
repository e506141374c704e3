package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.internal.sys.Terminals;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The rule for a stream that is {@link StreamChoice.Kind#INHERIT}: the container gets this JVM's
 * descriptor itself only when it is a pipe, a socket, a terminal or /dev/null, none of which
 * leads anywhere on the host through {@code /proc/self/fd/N}. A regular file as stdout or stderr
 * is relayed instead (the container writes into a pipe, mdocker's reaper copies into the file,
 * as Docker does), so the container cannot reopen the file read-write; anything else (a
 * directory, a regular file as stdin, a block or other character device) is refused in one line
 * before anything is created. Stateless.
 */
final class InheritedStdio {
    private InheritedStdio() {}

    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFSOCK = 0140000;
    private static final long DEV_NULL = (1L << 8) | 3; // makedev(1, 3)

    private static final String[] NAMES = {"stdin", "stdout", "stderr"};

    /**
     * What the container gets for {@code choice} as stream {@code fd} (0, 1 or 2): the choice
     * itself unless it inherits a descriptor that must not be passed.
     *
     * @throws ContainerException for a descriptor that is neither passed nor relayed
     */
    static StreamChoice resolve(StreamChoice choice, int fd) {
        if (choice.kind() != StreamChoice.Kind.INHERIT) {
            return choice;
        }
        int mode;
        long rdev;
        try {
            Map<String, Object> a = Files.readAttributes(Path.of("/proc/self/fd/" + fd), "unix:mode,rdev");
            mode = (Integer) a.get("mode");
            rdev = (Long) a.get("rdev");
        } catch (NoSuchFileException e) {
            return choice; // closed: nothing to pass
        } catch (IOException e) {
            throw new ContainerException("checking this process's " + NAMES[fd] + " (fd " + fd + ") for inherit(): " + e.getMessage(), e);
        }
        int type = mode & S_IFMT;
        if (type == S_IFIFO || type == S_IFSOCK) {
            return choice;
        }
        if (type == S_IFCHR && (rdev == DEV_NULL || Terminals.isTerminal(fd))) {
            return choice;
        }
        if (type == S_IFREG && fd != 0) { // relayed: the reaper appends what the container writes
            return new StreamChoice(StreamChoice.Kind.SINK,
                    new FileOutputStream(fd == 1 ? FileDescriptor.out : FileDescriptor.err));
        }
        throw new ContainerException(NAMES[fd] + " is " + describe(type) + ": an inherited stream must be a pipe, "
                + "a socket, a terminal or /dev/null (the container would reach the host's file through "
                + "/proc/self/fd/" + fd + ")" + (fd == 0 && type == S_IFREG ? "; pipe it in: cat FILE | mdocker run -i ..." : ""));
    }

    private static String describe(int type) {
        return switch (type) {
            case S_IFDIR -> "a directory";
            case S_IFREG -> "a regular file";
            case S_IFBLK -> "a block device";
            case S_IFCHR -> "a character device other than a terminal or /dev/null";
            default -> "a file of type 0" + Integer.toOctalString(type);
        };
    }
}
