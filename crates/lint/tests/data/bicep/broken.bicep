// The closing brace of `properties` is missing.
resource broken 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f'
  properties: {
    roleName: 'Broken'
    permissions: [
      {
        actions: ['*']
      }
    ]
}
