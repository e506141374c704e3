package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.ContainerRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code mdocker cp SRC DEST}, as Docker's {@code cp}: one side is {@code CONTAINER:PATH} (an id, a
 * unique prefix of one, or a name), the other a host path; files, directory trees and links, mode
 * bits kept. As Docker's: a destination that is an existing directory receives the source under its
 * own name; a directory copied to a path that does not exist becomes it; a file copied to a path
 * ending in '/' needs that directory to exist.
 * The container must be running (its files are reached through its pid 1's root).
 */
@Command(name = "cp", mixinStandardHelpOptions = true,
        description = "Copy files or directories between a running container and the host: "
                + "cp CONTAINER:SRC HOSTDEST, or cp HOSTSRC CONTAINER:DEST.")
final class CpCommand implements Callable<Integer> {
    /** CONTAINER:PATH; a host path with a ':' is written with a '/' before it (./a:b), as for Docker. */
    private static final Pattern IN_CONTAINER = Pattern.compile("([^/:]+):(.*)");

    @Mixin
    StateRootOption state = new StateRootOption();

    @Parameters(index = "0", paramLabel = "SRC", description = "CONTAINER:PATH or a host path.")
    String source;

    @Parameters(index = "1", paramLabel = "DEST", description = "CONTAINER:PATH or a host path.")
    String destination;

    @Override
    public Integer call() {
        ContainerRuntime.requireRoot();
        for (String arg : new String[] {source, destination}) {
            if (arg.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) { // "c:/a\nb" would be read as a host path
                return ContainerVerb.report(new IllegalArgumentException("cp: '" + escaped(arg)
                        + "' contains a newline or another control character: refused"));
            }
        }
        Matcher from = IN_CONTAINER.matcher(source);
        Matcher to = IN_CONTAINER.matcher(destination);
        if (from.matches() == to.matches()) {
            return ContainerVerb.report(new IllegalArgumentException("cp " + source + " " + destination
                    + ": expected exactly one of SRC and DEST as CONTAINER:PATH"));
        }
        ContainerRuntime rt = state.runtime();
        try {
            if (from.matches()) {
                String path = nonEmpty(from.group(2), source);
                Path target = Path.of(destination);
                String base = baseName(path);
                if (Files.isDirectory(target) && !base.equals("/")) { // the root's content merges into it
                    target = target.resolve(base);
                }
                rt.copyOut(from.group(1), path, target);
            } else {
                String path = nonEmpty(to.group(2), destination);
                Path host = Path.of(source);
                boolean directory = rt.isDirectory(to.group(1), path);
                if (!directory && path.endsWith("/") && !Files.isDirectory(host)) {
                    throw new IllegalArgumentException("cp " + source + " " + destination + ": the destination directory "
                            + path + " does not exist in the container");
                }
                String target = directory && host.getFileName() != null
                        ? path.replaceAll("/+$", "") + "/" + host.getFileName() : path;
                rt.copyIn(to.group(1), host, target);
            }
            return 0;
        } catch (ContainerException | IllegalArgumentException e) {
            return ContainerVerb.report(e);
        }
    }

    /** {@code s} with control characters as \n, \t or \xNN, so that the error stays one line. */
    private static String escaped(String s) {
        StringBuilder b = new StringBuilder();
        s.chars().forEach(c -> {
            if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.append((char) c);
            }
        });
        return b.toString();
    }

    private static String nonEmpty(String path, String arg) {
        if (path.isEmpty()) {
            throw new IllegalArgumentException("'" + arg + "': expected a path after the container");
        }
        return path;
    }

    /** The last name of a container path ("/" for the root). */
    private static String baseName(String path) {
        String p = path.replaceAll("/+$", "");
        return p.isEmpty() ? "/" : p.substring(p.lastIndexOf('/') + 1);
    }
}
