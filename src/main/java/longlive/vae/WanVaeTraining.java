package longlive.vae;

import java.util.Arrays;

/**
 * The Wan-VAE training path for whole clips ({@code WanVAE_.forward} made to work: encode, reparameterize, decode)
 * and its backward. Built for one clip shape; the object IS the activation tape (every layer's buffers are allocated
 * here once and reused by every step), so keep one per clip shape and call {@link #forward} then {@link #backward}.
 *
 * <p>Layouts are channels-last: video {@code [T, H, W, 3]} with {@code T = 1 + 4k}, latents {@code [F, h, w, z]}
 * with {@code F = 1 + k}, {@code h = H / 8}. The forward equals the reference's chunked, cached inference
 * ({@link WanVae#encode} / {@link StreamingVaeDecoder}) before normalization: the training path runs each layer
 * over the whole clip with zero causal history, which is what the chunking computes.
 *
 * <pre>
 * moments = conv1(encoder(video))            [F, h, w, 2z]; mu = [.., :z], logvar = [.., z:]
 * z       = mu + exp(0.5 clamp(logvar, -30, 20)) * eps   (eps = null: z = mu)
 * recon   = decoder(conv2(z))                [T, H, W, 3]  (not clamped: the loss sees the raw output)
 * </pre>
 */
public final class WanVaeTraining {
    /** The reference {@code sample}'s clamp of log_var before the exp. */
    static final float LOGVAR_MIN = -30f, LOGVAR_MAX = 20f;

    private final VaeWeights weights;
    private final TrainStack encoder, decoder;
    private final TrainConv conv1, conv2;
    private final TrainScratch scratch = new TrainScratch();
    private final FrameShape video, latent;
    private final int zd;
    private final float[] moments, mu, logvar, sigma, eps, z, z2, dz2, dz, dMoments, dEnc;
    private boolean sampled;
    private float[] input;

    public WanVaeTraining(VaeWeights weights, int frames, int height, int width) {
        VaeConfig c = weights.config();
        int sf = c.spatialFactor(), tf = c.temporalFactor();
        if (frames < 1 || (frames - 1) % tf != 0 || height % sf != 0 || width % sf != 0 || height < sf || width < sf)
            throw new IllegalArgumentException("WanVaeTraining: clips must be [1 + " + tf + "k, " + sf + "a, " + sf
                    + "b], got [" + frames + ", " + height + ", " + width + "]");
        this.weights = weights;
        this.zd = c.zDim();
        this.video = new FrameShape(frames, height, width, 3);
        this.encoder = TrainStack.encoder(weights, video);
        FrameShape e = encoder.outShape();
        this.latent = e.withChannels(zd);
        this.conv1 = TrainConv.causal(weights.conv1());
        this.conv2 = TrainConv.causal(weights.conv2());
        this.decoder = TrainStack.decoder(weights, latent);
        if (!decoder.outShape().equals(video))
            throw new IllegalStateException("WanVaeTraining: decoder gives " + decoder.outShape() + " for video " + video);
        int m = (int) e.size(), l = (int) latent.size();
        moments = new float[m];
        dMoments = new float[m];
        dEnc = new float[m];
        mu = new float[l];
        logvar = new float[l];
        sigma = new float[l];
        eps = new float[l];
        z = new float[l];
        z2 = new float[l];
        dz2 = new float[l];
        dz = new float[l];
    }

    public VaeWeights weights() {
        return weights;
    }

    /** {@code [T, H, W, 3]}. */
    public FrameShape videoShape() {
        return video;
    }

    /** {@code [F, h, w, z]}. */
    public FrameShape latentShape() {
        return latent;
    }

    /**
     * Encodes, samples and decodes one clip, recording the tape.
     *
     * @param x     video {@code [T, H, W, 3]} in [-1, 1]; kept by reference until {@link #backward}
     * @param noise {@code [F, h, w, z]} standard normal draws, or null for {@code z = mu}
     */
    public void forward(VaeKernels k, float[] x, float[] noise) {
        if (x.length < video.size() || (noise != null && noise.length < latent.size()))
            throw new IllegalArgumentException("WanVaeTraining: video needs " + video.size() + " floats, noise "
                    + latent.size());
        input = x;
        encoder.forward(k, scratch, x);                                                            // encoder
        FrameShape e = encoder.outShape();
        conv1.forward(k, scratch.forward, encoder.output(), 0, e.frames(), e.height(), e.width(), moments, 0, false); // conv1
        int p = latent.positions();
        sampled = noise != null;
        for (int i = 0; i < p; i++)                                                                 // chunk(2, dim=1)
            for (int c = 0; c < zd; c++) {
                int j = i * zd + c;
                mu[j] = moments[i * 2 * zd + c];
                logvar[j] = moments[i * 2 * zd + zd + c];
                sigma[j] = (float) Math.exp(0.5 * Math.clamp(logvar[j], LOGVAR_MIN, LOGVAR_MAX));
                eps[j] = sampled ? noise[j] : 0f;
                z[j] = sampled ? mu[j] + sigma[j] * eps[j] : mu[j];                                  // reparameterize
            }
        conv2.forward(k, scratch.forward, z, 0, latent.frames(), latent.height(), latent.width(), z2, 0, false); // conv2
        decoder.forward(k, scratch, z2);                                                            // decoder
    }

    /** The reconstruction of the last forward, {@code [T, H, W, 3]} (not clamped). */
    public float[] recon() {
        return decoder.output();
    }

    /** Encoder mean {@code [F, h, w, z]} of the last forward (un-normalized: no latent mean/std applied). */
    public float[] mu() {
        return mu;
    }

    /** Encoder log-variance {@code [F, h, w, z]} of the last forward. */
    public float[] logvar() {
        return logvar;
    }

    /** The sampled latent {@code [F, h, w, z]} of the last forward. */
    public float[] z() {
        return z;
    }

    /**
     * Backward of the last {@link #forward}; ACCUMULATES into {@code grads} (a gradient twin of the weights, e.g.
     * {@code VaeWeights.zeros(config)}).
     *
     * @param dRecon  {@code [T, H, W, 3]} gradient of the loss w.r.t. {@link #recon()}
     * @param dMu     nullable extra gradient w.r.t. {@link #mu()} (e.g. from a KL term)
     * @param dLogvar nullable extra gradient w.r.t. {@link #logvar()}
     */
    public void backward(VaeKernels k, float[] dRecon, float[] dMu, float[] dLogvar, VaeWeights grads) {
        if (input == null) throw new IllegalStateException("WanVaeTraining: backward before forward");
        Arrays.fill(dz2, 0f);
        decoder.backward(k, scratch, z2, dRecon, dz2, grads, false);                                // decoder
        Arrays.fill(dz, 0f);
        conv2.backward(k, scratch, z, 0, latent.frames(), latent.height(), latent.width(), dz2, 0, dz, 0,
                grads.conv2());                                                                     // conv2
        int p = latent.positions();
        for (int i = 0; i < p; i++)                                                                 // reparameterize
            for (int c = 0; c < zd; c++) {
                int j = i * zd + c;
                float lv = logvar[j];
                boolean inRange = lv >= LOGVAR_MIN && lv <= LOGVAR_MAX;
                float dlv = sampled && inRange ? dz[j] * eps[j] * 0.5f * sigma[j] : 0f;
                dMoments[i * 2 * zd + c] = dz[j] + (dMu == null ? 0f : dMu[j]);
                dMoments[i * 2 * zd + zd + c] = dlv + (dLogvar == null ? 0f : dLogvar[j]);
            }
        FrameShape e = encoder.outShape();
        Arrays.fill(dEnc, 0f);
        conv1.backward(k, scratch, encoder.output(), 0, e.frames(), e.height(), e.width(), dMoments, 0, dEnc, 0,
                grads.conv1());                                                                     // conv1
        encoder.backward(k, scratch, input, dEnc, null, grads, true);                               // encoder
    }
}
