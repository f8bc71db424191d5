package longlive.world;

/**
 * One prompt segment of a script's world: the scene, and whether it starts with a scene cut (objects respawn at
 * their spawn positions: a discontinuity the script intends) instead of continuing the previous segment.
 */
public record Segment(SceneSpec scene, boolean cut) {
    public Segment {
        if (scene == null) throw new IllegalArgumentException("segment needs a scene");
    }
}
