package io.mdocker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mdocker.internal.json.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The part of Go's templates that scripts give {@code docker inspect -f} and {@code docker ps
 * --format}: text with {@code {{.Field.Sub}}} and {@code {{json .Field}}} actions over a JSON
 * value, and the {@code table} form's header and aligned columns.
 */
final class GoTemplate {
    private GoTemplate() {}

    /**
     * The subset of Go's templates that {@code docker inspect -f} is mostly given: text, and
     * actions {@code {{.A.B}}} (a value as text, {@code <nil>} for null, an object or array as
     * JSON) and {@code {{json .A.B}}}. With a null {@code node} only the syntax is checked.
     *
     * @throws IllegalArgumentException for any other action, or a field {@code node} does not have
     */
    static String render(String template, JsonNode node) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (int open = template.indexOf("{{"); open >= 0; open = template.indexOf("{{", i)) {
            out.append(template, i, open);
            int close = template.indexOf("}}", open);
            if (close < 0) {
                throw new IllegalArgumentException("invalid --format '" + template + "': '{{' without '}}'");
            }
            String action = template.substring(open + 2, close).strip();
            boolean json = action.startsWith("json ");
            String path = json ? action.substring(5).strip() : action;
            if (!path.startsWith(".") || path.contains(" ")) {
                throw new IllegalArgumentException("invalid --format '" + template + "': {{" + action + "}} is not "
                        + "supported (expected {{.Field.Sub}} or {{json .Field.Sub}})");
            }
            JsonNode v = node;
            if (!path.equals(".")) {
                for (String field : path.substring(1).split("\\.", -1)) {
                    if (field.isEmpty()) {
                        throw new IllegalArgumentException("invalid --format '" + template + "': {{" + action + "}}");
                    }
                    if (node == null) {
                        continue; // the syntax only
                    }
                    v = v.get(field);
                    if (v == null) {
                        throw new IllegalArgumentException("--format '" + template + "': no field " + field + " in " + path);
                    }
                }
            }
            if (node != null) {
                out.append(json || v.isContainerNode() ? Json.text(v) : v.isNull() ? "<nil>" : v.asText());
            }
            i = close + 2;
        }
        return out.append(template.substring(i)).toString();
    }

    /**
     * The template of a {@code --format} value (ps, images), its syntax checked: null for the
     * default table (none given, or {@code table} alone); {@code json} is {@code {{json .}}};
     * {@code table TEMPLATE} is TEMPLATE; Docker's {@code \t} and {@code \n} are a tab and a line break.
     */
    static String ofFormat(String format) {
        if (format == null || format.strip().equals("table")) {
            return null;
        }
        String t = format.strip();
        if (t.equals("json")) {
            t = "{{json .}}";
        } else if (t.startsWith("table ")) {
            t = t.substring("table ".length()).strip();
        }
        t = t.replace("\\t", "\t").replace("\\n", "\n");
        render(t, null);
        return t;
    }

    /**
     * Prints a line per row from {@code template} ({@link #ofFormat} of {@code format}); for a
     * {@code table} format, the header line first ({@code names}: the fields' column names) and
     * the columns aligned. A row that lacks a field fails before anything is printed.
     */
    static void print(String format, String template, Map<String, String> names, List<JsonNode> rows) {
        boolean table = format.strip().startsWith("table");
        List<String> lines = new ArrayList<>();
        if (table) {
            lines.add(header(template, names));
        }
        for (JsonNode row : rows) {
            lines.add(render(template, row));
        }
        (table ? tabulate(lines) : lines).forEach(System.out::println);
    }

    /**
     * The header line of a {@code table} template: each action replaced by its field's column
     * name in {@code names} (the field's name in capitals when it has none there).
     */
    static String header(String template, Map<String, String> names) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (int open = template.indexOf("{{"); open >= 0; open = template.indexOf("{{", i)) {
            out.append(template, i, open);
            int close = template.indexOf("}}", open);
            String action = template.substring(open + 2, close).strip();
            String path = action.startsWith("json ") ? action.substring(5).strip() : action;
            String field = path.substring(path.lastIndexOf('.') + 1);
            out.append(names.getOrDefault(field, field.toUpperCase(java.util.Locale.ROOT)));
            i = close + 2;
        }
        return out.append(template.substring(i)).toString();
    }

    /**
     * Lines whose cells are separated by tabs, aligned as Docker's table output aligns them (Go's
     * tabwriter with a minimum width of 10 and a padding of 3): each column but a line's last is
     * padded to its widest cell plus 3 spaces.
     */
    static List<String> tabulate(List<String> lines) {
        List<String[]> cells = lines.stream().map(l -> l.split("\t", -1)).toList();
        List<Integer> widths = new ArrayList<>();
        for (String[] row : cells) {
            for (int c = 0; c < row.length - 1; c++) {
                int w = Math.max(10, row[c].codePointCount(0, row[c].length()) + 3);
                if (widths.size() <= c) {
                    widths.add(w);
                } else {
                    widths.set(c, Math.max(widths.get(c), w));
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (String[] row : cells) {
            StringBuilder b = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                b.append(row[c]);
                if (c < row.length - 1) {
                    b.append(" ".repeat(widths.get(c) - row[c].codePointCount(0, row[c].length())));
                }
            }
            out.add(b.toString().stripTrailing());
        }
        return out;
    }
}
