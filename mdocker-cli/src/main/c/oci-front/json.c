/*
 * JSON output (oci-front): a string escaped as JSON, and the spec's state JSON, written by hand
 * (a handful of fields): pretty for state, on one line for list and for a hook's stdin.
 */
#include <stdio.h>

#include "front.h"

void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* The spec's state JSON: pretty (state) or on one line (list, hooks' stdin). */
void state_json(FILE *f, const struct state *st, enum status s, int pretty)
{
    const char *nl = pretty ? "\n  " : "", *sep = pretty ? ": " : ":";
    fprintf(f, "{%s\"ociVersion\"%s", nl, sep);
    json_string(f, st->oci_version);
    fprintf(f, ",%s\"id\"%s", nl, sep);
    json_string(f, st->id);
    fprintf(f, ",%s\"status\"%s\"%s\",%s\"pid\"%s%d,%s\"bundle\"%s", nl, sep, STATUS[s], nl, sep,
            s == STOPPED ? 0 : st->pid, nl, sep);
    json_string(f, st->bundle);
    fprintf(f, ",%s\"annotations\"%s{", nl, sep);
    for (int i = 0; i < st->nann; i++) {
        fputs(i ? (pretty ? ",\n    " : ",") : (pretty ? "\n    " : ""), f);
        json_string(f, st->ann_k[i]);
        fputs(sep, f);
        json_string(f, st->ann_v[i]);
    }
    fprintf(f, "%s},%s\"created\"%s", st->nann && pretty ? "\n  " : "", nl, sep);
    json_string(f, st->created);
    fputs(pretty ? "\n}" : "}", f);
}
