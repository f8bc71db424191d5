package longlive.video;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Decodes any video ffmpeg understands by piping raw RGB24 frames from an {@code ffmpeg} process. */
final class FfmpegSource implements FrameSource {
    private final Process process;
    private final DataInputStream in;
    private final int width;
    private final int height;
    private final double fps;

    FfmpegSource(Path file) throws IOException {
        Process probe = new ProcessBuilder("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                "stream=width,height,r_frame_rate", "-of", "csv=p=0", file.toString()).redirectErrorStream(true).start();
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (probe.waitFor() != 0) throw new IOException("ffprobe could not read " + file + ": " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while probing " + file, e);
        }
        String[] parts = out.split("\\R")[0].split(",");
        if (parts.length < 3) throw new IOException("ffprobe found no video stream in " + file + ": " + out);
        width = Integer.parseInt(parts[0].trim());
        height = Integer.parseInt(parts[1].trim());
        String[] rate = parts[2].trim().split("/");
        fps = rate.length == 2 ? Double.parseDouble(rate[0]) / Double.parseDouble(rate[1]) : Double.parseDouble(rate[0]);
        process = new ProcessBuilder("ffmpeg", "-v", "error", "-i", file.toString(), "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        in = new DataInputStream(process.getInputStream());
    }

    /** Whether an ffmpeg and ffprobe binary can be started. */
    static boolean available() {
        try {
            Process p = new ProcessBuilder("ffprobe", "-version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public double fps() {
        return fps;
    }

    @Override
    public Frame read() throws IOException {
        byte[] rgb = new byte[3 * width * height];
        try {
            in.readFully(rgb);
        } catch (EOFException e) {
            return null;
        }
        return new Frame(width, height, rgb);
    }

    @Override
    public void close() throws IOException {
        in.close();
        process.destroy();
    }
}
