def test_standard_lab_lists_volumes(api):
    response = api.get("/server/0/volume")
    assert response.status_code == 200
    names = [v["name"] for v in response.get_json()["volumes"]]
    assert names == ["vol1", "vol2", "vol1-clone"]
    assert response.headers["X-Total-Count"] == "3"
