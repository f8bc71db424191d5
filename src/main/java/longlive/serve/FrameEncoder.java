package longlive.serve;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import longlive.video.Frame;

/**
 * A frame to one binary WebSocket message: the {@link Protocol#frameHeader} then a JPEG (ImageIO, baseline).
 * One per session (ImageIO writers are not thread-safe); the image and output buffers are reused.
 */
final class FrameEncoder implements AutoCloseable {
    private final ImageWriter writer;
    private final ImageWriteParam param;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 14);
    private BufferedImage image;

    FrameEncoder(float quality) {
        writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality);
    }

    /** Header + JPEG of {@code f}, ready to send (position 0, limit = length). */
    ByteBuffer encode(Frame f, int session, int frame, int prompt, int latent) throws IOException {
        int w = f.width(), h = f.height();
        if (image == null || image.getWidth() != w || image.getHeight() != h)
            image = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        byte[] src = f.rgb();
        for (int i = 0; i < src.length; i += 3) {   // RGB -> the image's BGR order
            dst[i] = src[i + 2];
            dst[i + 1] = src[i + 1];
            dst[i + 2] = src[i];
        }
        bytes.reset();
        bytes.write(new byte[Protocol.HEADER_BYTES]);
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(image, null, null), param);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray());
        Protocol.frameHeader(b, session, frame, prompt, latent, w, h);
        return b.rewind();
    }

    @Override
    public void close() {
        writer.dispose();
    }
}
