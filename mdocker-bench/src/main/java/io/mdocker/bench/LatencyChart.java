package io.mdocker.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A PNG of the latency distributions, one row per variant on a logarithmic millisecond axis:
 * every sample as a faint dot, a box from the 25th to the 75th percentile, whiskers to the 1st
 * and 99th, and the median as a bar with its value. Drawn with Java2D (headless) and written
 * with ImageIO: no chart library for one plot.
 */
final class LatencyChart {
    private LatencyChart() {}

    private static final int WIDTH = 1100;
    private static final int LEFT = 270;
    private static final int RIGHT = 40;
    private static final int TOP = 56;
    private static final int ROW = 36;
    private static final int BOTTOM = 56;
    private static final Color MDOCKER = new Color(0x1f77b4);
    private static final Color OTHER = new Color(0x7f7f7f);

    static void write(Path png, String title, List<Samples> rows) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int height = TOP + ROW * rows.size() + BOTTOM;
        BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, height);
            double lo = rows.stream().mapToDouble(s -> s.minMs()).min().orElse(1) * 0.9;
            double hi = rows.stream().mapToDouble(s -> s.percentileMs(100)).max().orElse(10) * 1.1;
            Axis axis = new Axis(Math.log10(lo), Math.log10(hi));
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, LEFT, 28);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString("ms, log scale; box 25-75th percentile, whiskers 1st-99th, bar and number: median; dots: every sample",
                    LEFT, 46);
            grid(g, axis, height);
            Random jitter = new Random(1);
            for (int i = 0; i < rows.size(); i++) {
                row(g, axis, rows.get(i), TOP + ROW * i + ROW / 2, jitter);
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(img, "png", png.toFile());
    }

    private record Axis(double logLo, double logHi) {
        int x(double ms) {
            return LEFT + (int) Math.round((Math.log10(ms) - logLo) / (logHi - logLo) * (WIDTH - LEFT - RIGHT));
        }
    }

    private static void grid(Graphics2D g, Axis axis, int height) {
        int bottom = height - BOTTOM;
        for (double decade = Math.pow(10, Math.floor(axis.logLo())); decade < Math.pow(10, axis.logHi()); decade *= 10) {
            for (double m : new double[] {1, 2, 5}) {
                double ms = decade * m;
                if (Math.log10(ms) < axis.logLo() || Math.log10(ms) > axis.logHi()) {
                    continue;
                }
                int x = axis.x(ms);
                g.setColor(new Color(0xe0e0e0));
                g.drawLine(x, TOP - 4, x, bottom);
                g.setColor(Color.DARK_GRAY);
                String label = ms >= 1 ? String.format(Locale.ROOT, "%.0f", ms) : String.format(Locale.ROOT, "%.1f", ms);
                g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, bottom + 16);
            }
        }
        g.setColor(Color.BLACK);
        g.drawLine(LEFT, bottom, WIDTH - RIGHT, bottom);
        g.drawString("start-to-exit, ms", LEFT + (WIDTH - LEFT - RIGHT) / 2 - 50, bottom + 36);
    }

    private static void row(Graphics2D g, Axis axis, Samples s, int y, Random jitter) {
        Color c = s.name().startsWith("mdocker") || s.name().startsWith("pool:") || s.name().startsWith("  ") ? MDOCKER : OTHER;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        String name = s.name().strip();
        g.drawString(name, LEFT - 12 - g.getFontMetrics().stringWidth(name), y + 5);
        g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 60));
        for (long ns : s.sortedNanos()) {
            g.fillOval(axis.x(ns / 1e6) - 2, y - 2 + (int) Math.round(jitter.nextGaussian() * 4), 4, 4);
        }
        g.setColor(c);
        g.setStroke(new BasicStroke(1.5f));
        int p1 = axis.x(s.percentileMs(1));
        int p25 = axis.x(s.percentileMs(25));
        int p75 = axis.x(s.percentileMs(75));
        int p99 = axis.x(s.p99Ms());
        int med = axis.x(s.medianMs());
        g.drawLine(p1, y, p25, y);
        g.drawLine(p75, y, p99, y);
        g.drawLine(p1, y - 6, p1, y + 6);
        g.drawLine(p99, y - 6, p99, y + 6);
        g.drawRect(p25, y - 9, Math.max(1, p75 - p25), 18);
        g.setStroke(new BasicStroke(3f));
        g.drawLine(med, y - 11, med, y + 11);
        g.setStroke(new BasicStroke(1f));
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
        g.drawString(String.format(Locale.ROOT, "%.1f", s.medianMs()), p99 + 6, y + 4);
    }
}
