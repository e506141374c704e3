package io.mdocker.cli;

import io.mdocker.ContainerRuntime;
import io.mdocker.Image;
import io.mdocker.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mdocker images [REPOSITORY[:TAG]]}: the images in the store, as Docker lists them: all, or
 * those of one repository (every tag), or of one name.
 */
@Command(name = "images", mixinStandardHelpOptions = true,
        description = "List the images in the store: all, those of REPOSITORY, or the one named REPOSITORY:TAG.")
final class ImagesCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Option(names = {"-q", "--quiet"}, description = "Only the image IDs.")
    boolean quiet;

    @Parameters(arity = "0..1", paramLabel = "REPOSITORY[:TAG]", description = "Only this repository, or this name.")
    String only;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "A line per image name from a template ('{{.Repository}}:{{.Tag}}'; fields Repository, Tag, ID, "
                    + "CreatedSince, CreatedAt, Size; \\t is a tab), 'table TEMPLATE' (with a header, columns aligned), "
                    + "'table' (the default) or 'json' (an object per line).")
    String format;

    /** The column names of {@code table} templates' fields, Docker's. */
    private static final java.util.Map<String, String> HEADERS = java.util.Map.of("ID", "IMAGE ID",
            "CreatedSince", "CREATED", "CreatedAt", "CREATED AT");

    @Override
    public Integer call() {
        String template = GoTemplate.ofFormat(format);
        List<Image> all = ImageStore.of(state.runtime()).list();
        if (only != null) {
            all = all.stream().filter(i -> i.names().stream().anyMatch(this::selected)).toList();
        }
        if (quiet) {
            all.forEach(i -> System.out.println(i.shortId()));
            return 0;
        }
        List<Row> rows = new java.util.ArrayList<>();
        for (Image i : all) {
            for (String n : i.names().isEmpty() ? List.of("<none>:<none>") : i.names()) {
                if (only == null || selected(n)) {
                    String familiar = familiar(n);
                    String repo = repository(familiar);
                    rows.add(new Row(repo, repo.length() < familiar.length() ? familiar.substring(repo.length() + 1) : "<none>",
                            i));
                }
            }
        }
        if (template != null) {
            GoTemplate.print(format, template, HEADERS, rows.stream().map(r -> {
                com.fasterxml.jackson.databind.node.ObjectNode o = io.mdocker.internal.json.Json.NODES.objectNode();
                o.put("Repository", r.repository());
                o.put("Tag", r.tag());
                o.put("ID", r.image().shortId());
                o.put("CreatedSince", r.created());
                o.put("CreatedAt", r.image().created().map(CREATED_AT::format).orElse(""));
                o.put("Size", size(r.image().size()));
                return (com.fasterxml.jackson.databind.JsonNode) o;
            }).toList());
            return 0;
        }
        System.out.printf("%-40s %-16s %-14s %-16s %s%n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
        for (Row r : rows) {
            System.out.printf("%-40s %-16s %-14s %-16s %s%n", r.repository(), r.tag(), r.image().shortId(), r.created(),
                    size(r.image().size()));
        }
        return 0;
    }

    /** One line of the list: a name of an image, split into repository and tag. */
    private record Row(String repository, String tag, Image image) {
        String created() {
            return image.created().map(ImagesCommand::ago).orElse("unknown");
        }
    }

    /** Whether the canonical name {@code n} is the argument's: its repository's, or the whole name, familiar or not. */
    private boolean selected(String n) {
        String familiar = familiar(n);
        boolean tagged = only.lastIndexOf(':') > only.lastIndexOf('/');
        return tagged ? only.equals(familiar) || only.equals(n) : only.equals(repository(familiar)) || only.equals(repository(n));
    }

    /** A name without its tag. */
    private static String repository(String name) {
        int colon = name.lastIndexOf(':');
        return colon > name.lastIndexOf('/') ? name.substring(0, colon) : name;
    }

    /** Docker's short form of a canonical name. */
    static String familiar(String canonical) {
        String s = canonical;
        if (s.startsWith("docker.io/")) {
            s = s.substring("docker.io/".length());
            if (s.startsWith("library/") && s.indexOf('/', 8) < 0) {
                s = s.substring("library/".length());
            }
        }
        return s;
    }

    /**
     * {@code arg} when it names an image in the store of {@code rt}, else null. The store is not
     * opened (nor its JSON library loaded) when the state root has no images.
     */
    static String imageNamed(ContainerRuntime rt, String arg) {
        if (!Files.isRegularFile(rt.libRoot().resolve("images").resolve("index.json")) || arg.startsWith("/")
                || arg.startsWith(".")) {
            return null;
        }
        try {
            return ImageStore.of(rt).inspect(arg).isPresent() ? arg : null;
        } catch (IllegalArgumentException notAReference) {
            return null;
        }
    }

    /** Docker's time format for CreatedAt: {@code 2026-12-07 21:40:36 +0000 UTC}. */
    static final java.time.format.DateTimeFormatter CREATED_AT = java.time.format.DateTimeFormatter
            .ofPattern("yyyy-MM-dd HH:mm:ss Z z", java.util.Locale.ROOT).withZone(java.time.ZoneId.of("UTC"));

    private static String ago(Instant t) {
        Duration d = Duration.between(t, Instant.now());
        if (d.toDays() > 0) {
            return d.toDays() + " days ago";
        }
        if (d.toHours() > 0) {
            return d.toHours() + " hours ago";
        }
        return Math.max(0, d.toMinutes()) + " minutes ago";
    }

    static String size(long bytes) {
        if (bytes >= 1_000_000) {
            return String.format("%.1fMB", bytes / 1e6);
        }
        return String.format("%.1fkB", bytes / 1e3);
    }
}
