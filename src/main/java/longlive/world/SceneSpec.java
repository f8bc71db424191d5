package longlive.world;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What one prompt segment shows: a background and one to three objects. */
public record SceneSpec(Background background, List<ObjectSpec> objects) {
    public static final int MAX_OBJECTS = 3;

    public SceneSpec {
        if (background == null) throw new IllegalArgumentException("scene needs a background");
        objects = List.copyOf(objects);
        if (objects.isEmpty() || objects.size() > MAX_OBJECTS) {
            throw new IllegalArgumentException("scene needs 1.." + MAX_OBJECTS + " objects, got " + objects.size());
        }
        Set<Integer> ids = new HashSet<>();
        for (ObjectSpec o : objects) {
            if (!ids.add(o.id())) throw new IllegalArgumentException("duplicate object id " + o.id());
            if (!background.contrastsWith(o.color())) {
                throw new IllegalArgumentException(o.color().id() + " object on a " + background.first().id() + " background is not visible enough");
            }
        }
    }

    public ObjectSpec object(int id) {
        for (ObjectSpec o : objects) if (o.id() == id) return o;
        return null;
    }
}
