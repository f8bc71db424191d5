package longlive.video;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/** Single frames to and from PNG files (used by the folder reader and writer and by reports). */
public final class PngFrames {
    private PngFrames() {
    }

    public static void write(Frame f, Path file) throws IOException {
        BufferedImage img = new BufferedImage(f.width(), f.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < f.height(); y++) {
            for (int x = 0; x < f.width(); x++) img.setRGB(x, y, f.rgbAt(x, y));
        }
        if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer available for " + file);
    }

    public static Frame read(Path file) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) throw new IOException(file + " is not a readable image");
        Frame f = Frame.black(img.getWidth(), img.getHeight());
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                f.set(x, y, p >>> 16 & 0xFF, p >>> 8 & 0xFF, p & 0xFF);
            }
        }
        return f;
    }

    /** The PNG files of a folder in name order (frame_000001.png sorts as expected when zero-padded). */
    public static List<Path> list(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")).sorted().toList();
        }
    }
}
